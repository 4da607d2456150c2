// tui/ui/commands: one table for both front ends. Batch mode's parsing gives
// tacit(1) BATCH MODE's reasons; every row of either front end is on the
// manual page, in its own section.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "tui/ui/commands.hpp"

using namespace tacit::ui;

namespace {
ParseResult batch(std::string_view line) { return parse_batch_command(line); }

// The man page section from ".Sh TITLE" to the next ".Sh".
std::string man_section(const std::string& title) {
    std::ifstream in("man/tacit.1");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    auto text = ss.str();
    auto at = text.find(".Sh " + title + "\n");
    REQUIRE(at != std::string::npos);
    auto end = text.find("\n.Sh ", at + 1);
    return text.substr(at, end - at);
}
}  // namespace

TEST_CASE("batch commands come from the table, with tacit(1)'s reasons", "[ui][commands]") {
    auto r = batch("login alice  a pass  phrase ");
    REQUIRE(r.ok);
    CHECK(r.command.kind == CommandKind::Login);
    CHECK(r.command.args == std::vector<std::string>{"alice", "a pass  phrase "});
    r = batch("send Bob hi there");  // names as written: the client core judges them
    REQUIRE(r.ok);
    CHECK(r.command.kind == CommandKind::Msg);
    CHECK(r.command.args == std::vector<std::string>{"Bob", "hi there"});
    r = batch("history #ops 5");
    REQUIRE(r.ok);
    CHECK(r.command.args == std::vector<std::string>{"#ops"});
    CHECK(r.command.number == 5);
    CHECK_FALSE(batch("history bob").command.number);
    CHECK(batch("wait 0.5").command.number == 0.5);
    CHECK(batch("exit").command.kind == CommandKind::Quit);
    CHECK(batch("search  two words").command.args == std::vector<std::string>{"two words"});

    CHECK(batch("send bob").error == "missing arguments; usage: send USER TEXT...");
    CHECK(batch("who now").error == "too many arguments; usage: who");
    CHECK(batch("wait 1 2").error == "too many arguments; usage: wait [SECONDS]");
    CHECK(batch("wait abc").error == "SECONDS must be a number from 0 to 86400");
    CHECK(batch("wait 86401").error == "SECONDS must be a number from 0 to 86400");
    CHECK(batch("history bob 1.5").error == "N must be a whole number of messages");
    CHECK(batch("group-add ops").error == "missing arguments; usage: group-add G USER");
    CHECK(batch("frob x").error == "unknown command frob");
    CHECK(batch("/who").error == "unknown command /who");  // the screen's spelling is the screen's
    CHECK(batch("query bob").error == "unknown command query");  // a screen-only row
}

TEST_CASE("the screen and batch share rows and their argument rules", "[ui][commands]") {
    // fingerprint, accept-key and search are one row each, offered to both.
    for (auto name : {"fingerprint", "accept-key", "search", "who", "rekey", "quit"}) {
        size_t rows = 0;
        for (const auto& c : command_table())
            if (c.name == name) {
                ++rows;
                CHECK(c.front == Front::Both);
            }
        CHECK(rows == 1);
    }
    CHECK(batch("fingerprint a b").error == "too many arguments; usage: fingerprint [USER]");
    CHECK(parse_command("/fingerprint a b", "").error == "usage: /fingerprint [USER]");
    CHECK(batch("accept-key").error == "missing arguments; usage: accept-key USER");
    CHECK(parse_command("/accept-key", "").error == "usage: /accept-key USER");
}

TEST_CASE("every command of the table is on the manual page, in its front end's section", "[ui][commands]") {
    const auto screen = man_section("THE SCREEN");
    const auto batch_mode = man_section("BATCH MODE");
    for (const auto& c : command_table()) {
        INFO(c.name);
        const std::string name(c.name);
        if (offers(c, Front::Screen)) CHECK(screen.find(".It Ic /" + name) != std::string::npos);
        if (offers(c, Front::Batch))
            CHECK((batch_mode.find(".It Ic " + name + "\n") != std::string::npos ||
                   batch_mode.find(".It Ic " + name + " ") != std::string::npos ||
                   batch_mode.find(" Ic " + name + "\n") != std::string::npos));
    }
}
