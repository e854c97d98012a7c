// A host whose OTLP collector (argv[1]) never answers: it records, then returns from main.
// The pipeline's destructor must let it leave within shutdown_timeout (1 s).
#include <tacit/tacit.hpp>
#include <tacit/exporters/otlp_http.hpp>

#include "common.hpp"

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    auto o = rel::quick();
    o.shutdown_timeout = std::chrono::milliseconds(1000);
    tacit::pipeline p(o);
    tacit::otlp_http_options e;
    e.endpoint = argv[1];
    e.timeout = std::chrono::milliseconds(30000);  // far longer than the shutdown bound
    p.emplace_exporter<tacit::otlp_http_exporter>(e);
    for (int i = 0; i < 1000; ++i) {
        auto s = tacit::start<rel::tool_usage>(p);
        s.set<rel::tool_name>("web_search");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the export is under way
    return 0;
}
