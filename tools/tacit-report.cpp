// tacit-report: reads a tacit JSON-lines trace and writes one self-contained HTML page (inline
// CSS and SVG, no scripts, fonts or network) with a crew-run timeline, latency distributions,
// error rates per tool, throughput and the analyzer's ranked findings.
//
//   tacit-report trace.jsonl [-o report.html] [--json analysis.json] [--text] [--window-ms N]
//
// Exit status: 0 written, 1 unreadable input or nothing usable in it, 2 bad usage.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <tacit/analyzer_report.hpp>

namespace {

int usage() {
    std::fprintf(stderr,
                 "usage: tacit-report TRACE.jsonl [-o REPORT.html] [--json ANALYSIS.json] [--text] [--window-ms N]\n"
                 "  Reads a tacit JSON-lines trace and writes a self-contained HTML report\n"
                 "  (default: TRACE.html next to the trace).\n");
    return 2;
}

bool write_file(const std::string& path, const std::string& data) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
    return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
    std::string in, out, json_out;
    bool text = false;
    double window_ms = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if ((a == "-o" || a == "--output") && i + 1 < argc) out = argv[++i];
        else if (a == "--json" && i + 1 < argc) json_out = argv[++i];
        else if (a == "--text") text = true;
        else if (a == "--window-ms" && i + 1 < argc) window_ms = std::atof(argv[++i]);
        else if (a == "-h" || a == "--help") return usage();
        else if (!a.empty() && a[0] == '-') return usage();
        else if (in.empty()) in = a;
        else return usage();
    }
    if (in.empty()) return usage();
    if (out.empty()) {
        out = in;
        if (const auto dot = out.rfind('.'); dot != std::string::npos && out.find('/', dot) == std::string::npos) out.resize(dot);
        out += ".html";
    }

    auto opt = tacit::report_analyzer_options();
    if (window_ms > 0) opt.window_ns = static_cast<std::uint64_t>(window_ms * 1e6);
    const auto r = tacit::write_report(in, out, opt);
    if (!r.ok) {
        std::fprintf(stderr, "tacit-report: %s\n", r.error.c_str());
        return 1;
    }
    if (r.read.malformed)
        std::fprintf(stderr, "tacit-report: skipped %llu malformed lines (%s)\n",
                     static_cast<unsigned long long>(r.read.malformed), r.read.first_error.c_str());
    if (!json_out.empty() && !write_file(json_out, r.result.to_json() + "\n")) {
        std::fprintf(stderr, "tacit-report: cannot write '%s'\n", json_out.c_str());
        return 1;
    }
    if (text) std::fputs(r.result.to_text().c_str(), stdout);
    std::fprintf(stderr, "tacit-report: %llu spans, %zu findings -> %s\n", static_cast<unsigned long long>(r.read.spans),
                 r.result.findings.size(), out.c_str());
    return 0;
}
