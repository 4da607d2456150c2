// tui/ui/commands: one table for both front ends. Batch mode's parsing gives
// tacit(1) BATCH MODE's reasons; every row of either front end is on the
// manual page, in its own section.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <memory>
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
// tacit(1) as mandoc renders it for a terminal, overstrike removed, every
// run of white space (no-break spaces too) made one space: the text /help COMMAND quotes.
std::string rendered_page() {
    std::unique_ptr<FILE, int (*)(FILE*)> p(
        popen("LC_ALL=C.UTF-8 MANWIDTH= mandoc -Tutf8 -O width=1000 man/tacit.1 | LC_ALL=C.UTF-8 col -b", "r"), pclose);
    REQUIRE(p);
    std::string out;
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, p.get())) > 0;) out.append(buf, n);
    // \~ (a no-break space, U+00A0) reads as a space too.
    for (size_t at; (at = out.find("\xc2\xa0")) != std::string::npos;) out.replace(at, 2, " ");
    std::string flat;
    for (char c : out) {
        bool space = c == ' ' || c == '\t' || c == '\n';
        if (!space) flat += c;
        else if (!flat.empty() && flat.back() != ' ') flat += ' ';
    }
    return flat;
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

TEST_CASE("/help COMMAND says what tacit(1) says, examples included", "[ui][commands]") {
    const auto page = rendered_page();
    const auto screen_at = page.find(" THE SCREEN ");
    const auto batch_at = page.find(" BATCH MODE ");
    REQUIRE(screen_at != std::string::npos);
    REQUIRE(batch_at > screen_at);
    const auto screen = page.substr(screen_at, batch_at - screen_at);
    for (const auto& c : command_table()) {
        if (!offers(c, Front::Screen)) continue;
        INFO(c.name);
        CHECK_FALSE(c.about.empty());
        for (auto para : c.about) CHECK(screen.find(" " + std::string(para) + " ") != std::string::npos);
        // A command that takes words shows how to type them.
        if (!c.usage.empty()) CHECK_FALSE(c.examples.empty());
        if (c.examples.empty()) continue;
        std::string shown = c.examples.size() == 1 ? "Example:" : "Examples:";
        for (auto e : c.examples) shown += " " + std::string(e);
        CHECK(screen.find(std::string(c.about.back()) + " " + shown + " ") != std::string::npos);

        const auto lines = help_lines(c.name);
        CHECK(lines.front() == usage(c, Front::Screen));
        CHECK(lines.size() == 1 + c.about.size() + 1 + c.examples.size());
        CHECK(lines.back() == "    " + std::string(c.examples.empty() ? "" : c.examples.back()));
    }
}
