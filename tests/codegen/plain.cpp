// plain.cpp: instrumented.cpp without tacit. See compare_codegen.py.
#include <string_view>  // the same signatures

int codegen_step(int);

int codegen_tool_call(int x, std::string_view name) {
    (void)name;
    int r = codegen_step(x);
    if (r < 0) r = codegen_step(x + 1);
    return r;
}

int codegen_agent(int n, std::string_view objective) {
    (void)objective;
    int total = 0;
    for (int i = 0; i < n; ++i) {
        total += codegen_step(i);
        if (total > 100) break;
    }
    return total;
}
