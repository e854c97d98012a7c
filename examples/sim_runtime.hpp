#pragma once
// A stand-in for a C++ agent runtime's own structs, as crew_telemetry reads them: the crew demo
// (crew_demo.cpp) runs a crew of these, and so do the crew tests (tests/crew/). Every text field
// can hold a canary; the LLM and tools also hold secrets, which the facade must never read.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <tacit/crew.hpp>

namespace sim {

struct llm_config {
    std::string model;
    std::string api_key;   // held by the runtime; never read by tacit
    std::string base_url;  // likewise
};

struct tool_def {
    std::string name;
    std::string secret_token;  // a tool's credentials; never read
};

struct agent_def {
    std::string role, goal, backstory;
    bool verbose = false;
    int max_iter = 20;
    int max_rpm = 0;
    int max_retry_limit = 2;
    bool allow_delegation = false;
    bool allow_code_execution = false;
    llm_config llm;
    const llm_config* function_calling_llm = nullptr;
    std::vector<const tool_def*> tools;
};

struct usage_counts {
    std::int64_t input_tokens = 0, output_tokens = 0;
};

struct task_def {
    std::string description, expected_output, output;
    bool async_execution = false;
    bool human_input = false;
    std::vector<const tool_def*> tools;
    const agent_def* agent = nullptr;
    usage_counts usage;
};

struct crew_def {
    std::vector<std::unique_ptr<agent_def>> agents;
    std::vector<task_def> tasks;
    tacit::crew_process process = tacit::crew_process::sequential;
    bool memory = false;
    bool share_crew = true;
};

}  // namespace sim
