// The key privacy rule (detail/key_rules.hpp): segment matching, measurement words, edges.
#include <doctest/doctest.h>
#include <tacit/tacit.hpp>

using tacit::sensitivity;
using tacit::detail::classify_key;

// The rule runs at compile time; these hold in every build.
static_assert(classify_key("gen_ai.usage.input_tokens") == sensitivity::public_data);
static_assert(classify_key("gen_ai.prompt") == sensitivity::content);
static_assert(classify_key("llm.api_key") == sensitivity::secret);

TEST_CASE("content words are rejected as whole segments and as leading or trailing words") {
    for (auto k : {"prompt", "gen_ai.prompt", "crew.agent.goal", "agent.backstory", "task.description",
                   "task.expected_output", "crew.inputs", "task.output", "error.message", "gen_ai.completion",
                   "user_prompt", "prompt_template", "tool.arguments", "tool.result", "gen_ai.system_instructions",
                   "ERROR.MESSAGE", "task-description", "crew.agent.role"}) {
        CAPTURE(k);
        CHECK(classify_key(k) == sensitivity::content);
    }
}

TEST_CASE("secret words win over content words") {
    for (auto k : {"api_key", "openai.api_key", "auth.token", "token", "refresh_token", "db.password",
                   "aws.secret_key", "credentials", "http.cookie", "process.env", "user_prompt.api_key",
                   "x.authorization", "apikey", "client_secret"}) {
        CAPTURE(k);
        CHECK(classify_key(k) == sensitivity::secret);
    }
}

TEST_CASE("counts and flags of sensitive things are public") {
    for (auto k : {"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "prompt_length", "message_count",
                   "crew.inputs_present", "token_count", "task.output_bytes", "content_type"}) {
        CAPTURE(k);
        CHECK(classify_key(k) == sensitivity::public_data);
    }
}

TEST_CASE("terms inside a word do not match") {
    for (auto k : {"tokenizer", "crew.inputsize", "goalie", "gen_ai.request.model", "gen_ai.tool.name",
                   "crew.process", "crew.memory", "crew.key", "agent_key", "secretary", "promptness",
                   "crew.max_rpm", "outputs2x", "envoy.version"}) {
        CAPTURE(k);
        CHECK(classify_key(k) == sensitivity::public_data);
    }
}

TEST_CASE("key syntax") {
    using tacit::detail::valid_key;
    CHECK(valid_key("gen_ai.tool.name"));
    CHECK(valid_key("a"));
    CHECK_FALSE(valid_key(""));
    CHECK_FALSE(valid_key(".a"));
    CHECK_FALSE(valid_key("a."));
    CHECK_FALSE(valid_key("a..b"));
    CHECK_FALSE(valid_key("has space"));
    CHECK_FALSE(valid_key("quote\""));
    CHECK_FALSE(valid_key(std::string(129, 'a')));
    CHECK(valid_key(std::string(128, 'a')));
}
