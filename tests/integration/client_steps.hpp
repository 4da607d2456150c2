// Steps the group tests take with in-process clients, REQUIRE-checked.
#pragma once
#include <string>

#include "tests/integration/harness.hpp"

namespace tacit::test {

// REQUIREs r.ok, showing r.msg when it fails.
void ok(const client::Result& r);
// Connects if needed and logs in as user (password "pw"); keeps the events.
void login_as(TestClient& c, const std::string& user);

}  // namespace tacit::test
