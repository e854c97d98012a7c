// What the privacy audits (tests/crew/canary_test.cpp, tests/reliability/privacy_test.cpp)
// share: an exporter that keeps the OTLP wire bytes, and readers of what the file and console
// exporters wrote, so that every output can be searched for canaries.
#pragma once
#include <tacit/tacit.hpp>

#include <cstddef>     // std::size_t
#include <cstdio>      // the console exporter's FILE*
#include <filesystem>  // trace file paths
#include <fstream>     // std::ifstream
#include <sstream>     // std::ostringstream
#include <string>      // outputs

// The OTLP encoders are detail headers, which a build against single_include/ does not have.
#if __has_include(<tacit/detail/otlp_json.hpp>) && __has_include(<tacit/detail/otlp_proto.hpp>)
#include <tacit/detail/otlp_json.hpp>
#include <tacit/detail/otlp_proto.hpp>
#define CANARY_HAS_OTLP 1
#else
#define CANARY_HAS_OTLP 0
#endif

namespace canary {

#if CANARY_HAS_OTLP
/// Encodes every batch as the OTLP exporter puts it on the wire, JSON and protobuf.
class otlp_capture final : public tacit::exporter {
public:
    explicit otlp_capture(std::string& out) : out_(out) {}
    tacit::export_result export_spans(const tacit::export_batch& b) override {
        tacit::detail::otlp_payload payload{b.resource.attributes, "tacit", TACIT_VERSION_STRING, b.spans};
        tacit::detail::byte_buffer buf;
        tacit::detail::encode_json(payload, buf);
        out_.append(buf.view());
        tacit::detail::encode_protobuf(payload, buf);
        out_.append(buf.view());
        return tacit::export_result::success();
    }

private:
    std::string& out_;
};
#endif

/// The whole file, or "" if it cannot be read.
inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Everything written to f from its start (std::rewind flushes what is buffered first).
inline std::string read_all(std::FILE* f) {
    std::string out;
    std::rewind(f);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    return out;
}

}  // namespace canary
