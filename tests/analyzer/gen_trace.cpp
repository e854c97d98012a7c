// Writes a synthetic JSON-lines trace: gen_trace <file> <crew runs> [clean|anomalies]
// Used by the report tests (Chromium, 1 M-span timing) and by hand to try tacit-report.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "scenario.hpp"

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: gen_trace <file> <crew runs> [clean|anomalies]\n");
        return 2;
    }
    scenario::options o;
    o.runs = std::atoi(argv[2]);
    const bool anomalies = argc > 3 && std::string{argv[3]} == "anomalies";
    if (anomalies) {
        o.web_search_error = 0.175;
        o.calculator_burst = o.loop = o.spike = o.unfinished = o.slow_last_crew = true;
    }
    const auto r = scenario::generate(o);
    std::FILE* f = std::fopen(argv[1], "wb");
    if (!f) { std::perror(argv[1]); return 1; }
    for (const auto& s : r.spans) {
        const auto line = scenario::to_jsonl(s);
        std::fwrite(line.data(), 1, line.size(), f);
        std::fputc('\n', f);
    }
    if (anomalies) {
        const auto st = scenario::stats_line(r.spans.size() + 40, 37, 3);
        std::fprintf(f, "%s\n", st.c_str());
    }
    std::fclose(f);
    std::printf("%zu spans\n", r.spans.size());
    return 0;
}
