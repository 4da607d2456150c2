// Loading Wycheproof vectors (tests/vectors/wycheproof, Apache 2.0) for the
// crypto wrapper tests. Paths are relative to the repo root.
#pragma once
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "shared/bytes.hpp"

namespace wycheproof {

inline nlohmann::json load(const std::string& name) {
    std::ifstream f("tests/vectors/wycheproof/" + name);
    REQUIRE(f.good());
    return nlohmann::json::parse(f);
}

inline tacit::Bytes hex(const nlohmann::json& v) {
    auto b = tacit::from_hex(v.get<std::string>());
    REQUIRE(b.has_value());
    return *b;
}

// Tallies outcomes: valid must pass, invalid must fail, acceptable is free.
struct Tally {
    int run = 0, valid = 0, invalid = 0, acceptable = 0;
    void check(const nlohmann::json& t, bool ok) {
        ++run;
        std::string r = t.at("result");
        INFO("tcId " << t.at("tcId").get<int>() << " (" << t.value("comment", "") << ") result "
                     << r);
        if (r == "valid") {
            ++valid;
            CHECK(ok);
        } else if (r == "invalid") {
            ++invalid;
            CHECK_FALSE(ok);
        } else {
            ++acceptable;
        }
    }
};

}  // namespace wycheproof
