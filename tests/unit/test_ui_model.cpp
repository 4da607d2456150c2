#include <catch2/catch.hpp>

#include "tui/ui/model.hpp"

using namespace tacit::ui;

namespace {
Line msg(std::string from, std::string text) {
    Line l;
    l.time_ms = 1000;
    l.from = std::move(from);
    l.text = std::move(text);
    return l;
}

Model logged_in() {
    Model m;
    m.set_status({"example.org:7700", "me", "connected", ""});
    return m;
}

Action type(Model& m, std::string_view s) {
    m.editor().insert(s);
    return m.handle_key(Key::special(KeyCode::Enter));
}
}  // namespace

TEST_CASE("mention matching is whole-word and case-insensitive", "[ui][model]") {
    CHECK(mentions("hi me", "me"));
    CHECK(mentions("ME: look", "me"));
    CHECK(mentions("@Alice, hi", "alice"));
    CHECK_FALSE(mentions("malice aforethought", "alice"));
    CHECK_FALSE(mentions("alice_2 there", "alice"));
    CHECK_FALSE(mentions("anything", ""));
}

TEST_CASE("model starts with the status window", "[ui][model]") {
    Model m;
    REQUIRE(m.conversations().size() == 1);
    CHECK(m.active().key == kStatusKey);
    CHECK(m.active_key().empty());
    CHECK(m.focus() == Focus::Input);
    CHECK(m.take_dirty() == kPaneAll);
    CHECK(m.take_dirty() == 0);
}

TEST_CASE("unread, activity, mention and bell", "[ui][model]") {
    Model m = logged_in();
    m.open("alice");
    m.take_dirty();

    // A direct conversation rings for any message (level all by default).
    CHECK(m.add_message("bob", msg("bob", "hello there")));
    Conversation* bob = m.find("bob");
    REQUIRE(bob);
    CHECK(bob->unread == 1);
    CHECK(bob->activity);
    CHECK_FALSE(bob->mention);
    CHECK((m.dirty() & kPaneConvList));
    CHECK_FALSE((m.dirty() & kPaneMessages));  // not the active conversation
    CHECK(m.take_bell());

    // The same burst rings no more, but a mention in it rings once.
    CHECK_FALSE(m.add_message("bob", msg("bob", "still there?")));
    CHECK_FALSE(m.take_bell());
    bob->unread = 1;  // keep the counts below as they were
    CHECK(m.add_message("bob", msg("bob", "hey ME, look")));
    CHECK(bob->unread == 2);
    CHECK(bob->mention);
    CHECK(bob->lines.back().mention);
    CHECK(m.take_bell());
    CHECK_FALSE(m.take_bell());

    // A message in the active conversation is read already.
    m.take_dirty();
    CHECK_FALSE(m.add_message("alice", msg("alice", "hi")));
    CHECK(m.find("alice")->unread == 0);
    CHECK((m.dirty() & kPaneMessages));

    // My own echoed message counts for nothing.
    m.add_message("bob", msg("me", "me again"));
    CHECK(m.find("bob")->unread == 2);

    m.open("bob");
    CHECK(m.active().key == "bob");
    CHECK(m.active().unread == 0);
    CHECK_FALSE(m.active().mention);
    CHECK_FALSE(m.active().activity);

    m.set_level("carol", NotifyLevel::None);  // not open yet: kept for when it opens
    m.open("carol");
    CHECK(m.muted("carol"));
    m.open("bob");
    CHECK_FALSE(m.add_message("carol", msg("carol", "me me me")));
    CHECK(m.find("carol")->unread == 1);
    CHECK(m.find("carol")->mention);
    CHECK_FALSE(m.take_bell());
}

TEST_CASE("network text is sanitized on the way in", "[ui][model]") {
    Model m = logged_in();
    m.add_message("ev\x1b[2Jil", msg("ev\x1bil", "x\x1b]0;pwned\x07y\nz"));
    const Conversation& c = m.conversations().back();
    CHECK(c.key == "ev^[[2Jil");
    CHECK(c.lines.back().from == "ev^[il");
    CHECK(c.lines.back().text == "x^[]0;pwned^Gy\nz");
    m.set_online({"zed\x9b", "amy"});
    CHECK(m.online() == std::vector<std::string>{"amy", "zed\uFFFD"});
}

TEST_CASE("switching conversations", "[ui][model]") {
    Model m;
    m.open("alice");
    m.open("bob");
    m.open("#ops");
    CHECK(m.active_index() == 3);
    m.handle_key(Key::alt_key('2'));
    CHECK(m.active().key == "alice");
    m.handle_key(Key::alt_key('1'));
    CHECK(m.active().key == kStatusKey);
    m.handle_key(Key::alt_key('9'));  // no such window: unchanged
    CHECK(m.active().key == kStatusKey);
    m.handle_key(Key::ctrl_key('p'));  // wraps backwards
    CHECK(m.active().key == "#ops");
    CHECK(m.active().is_group());
    m.handle_key(Key::ctrl_key('n'));
    CHECK(m.active().key == kStatusKey);
    m.handle_key(Key::ctrl_key('n'));
    CHECK(m.active().key == "alice");
    CHECK(m.open("alice") == 1);  // no duplicate
    CHECK(m.conversations().size() == 4);
    m.close_active();
    CHECK(m.conversations().size() == 3);
    CHECK(m.active().key == kStatusKey);
    m.close_active();  // the status window stays
    CHECK(m.conversations().size() == 3);
}

TEST_CASE("focus cycling and list selection", "[ui][model]") {
    Model m;
    m.set_online({"carol", "alice", "bob", "alice"});
    CHECK(m.online() == std::vector<std::string>{"alice", "bob", "carol"});
    m.set_groups({{"ops", 3}, {"dev", 5}});
    REQUIRE(m.groups().size() == 2);
    CHECK(m.groups()[0].name == "dev");
    CHECK(m.groups()[0].members == 5);

    m.handle_key(Key::special(KeyCode::Tab));  // empty input: Tab moves focus
    CHECK(m.focus() == Focus::Conversations);
    m.handle_key(Key::special(KeyCode::Tab));
    CHECK(m.focus() == Focus::Online);
    m.handle_key(Key::special(KeyCode::Down));
    m.handle_key(Key::special(KeyCode::Down));
    m.handle_key(Key::special(KeyCode::Down));  // clamps at the end
    CHECK(m.selection(Focus::Online) == 2);
    m.handle_key(Key::special(KeyCode::Up));
    CHECK(m.selection(Focus::Online) == 1);
    Action a = m.handle_key(Key::special(KeyCode::Enter));
    CHECK(a.kind == Action::Kind::Opened);
    CHECK(a.target == "bob");
    CHECK(m.active().key == "bob");
    CHECK(m.focus() == Focus::Input);

    m.set_focus(Focus::Groups);
    a = m.handle_key(Key::special(KeyCode::Enter));
    CHECK(a.target == "#dev");
    CHECK(m.active().key == "#dev");

    m.handle_key(Key::special(KeyCode::BackTab));
    CHECK(m.focus() == Focus::Groups);
    m.handle_key(Key::special(KeyCode::Tab));
    CHECK(m.focus() == Focus::Input);
    m.set_focus(Focus::Online);
    m.handle_key(Key::chr('x'));  // typing returns to the input line
    CHECK(m.focus() == Focus::Input);
    CHECK(m.editor().text() == "x");
    m.set_focus(Focus::Online);
    m.handle_key(Key::special(KeyCode::Escape));
    CHECK(m.focus() == Focus::Input);

    m.set_user_online("bob", false);
    CHECK(m.online() == std::vector<std::string>{"alice", "carol"});
    m.set_user_online("aaron", true);
    CHECK(m.online().front() == "aaron");
}

TEST_CASE("input line: Enter, completion and errors", "[ui][model]") {
    Model m = logged_in();
    m.set_online({"alice", "bob"});

    Action a = type(m, "hello");  // status window: nowhere to send
    CHECK(a.kind == Action::Kind::Error);
    CHECK(m.active().lines.back().system);

    m.open("alice");
    a = type(m, "hello there");
    REQUIRE(a.kind == Action::Kind::Command);
    CHECK(a.command.kind == CommandKind::Send);
    CHECK(a.command.args == std::vector<std::string>{"alice", "hello there"});
    CHECK(m.editor().empty());

    m.editor().insert("/qu");
    m.handle_key(Key::special(KeyCode::Tab));
    CHECK(m.editor().text() == "/query ");
    m.editor().insert("b");
    m.handle_key(Key::special(KeyCode::Tab));
    CHECK(m.editor().text() == "/query bob ");
    a = m.handle_key(Key::special(KeyCode::Enter));
    CHECK(a.command.kind == CommandKind::Query);
    CHECK(m.active().key == "bob");  // applied locally

    size_t before = m.active().lines.size();
    type(m, "/help");
    CHECK(m.active().lines.size() > before + 5);

    a = type(m, "/mute");
    CHECK(a.command.kind == CommandKind::Mute);
    CHECK(m.muted("bob"));
    CHECK(m.active().lines.back().text.find("notify none") != std::string::npos);  // feedback
    type(m, "/unmute bob");
    CHECK_FALSE(m.muted("bob"));
    CHECK(m.active().lines.back().text.find("notify all") != std::string::npos);

    a = type(m, "/bogus");
    CHECK(a.kind == Action::Kind::Error);
    CHECK(a.error.find("unknown command") != std::string::npos);
}

TEST_CASE("scrolling", "[ui][model]") {
    Model m;
    m.open("alice");
    m.set_page_size(5);
    for (int i = 0; i < 20; ++i) m.add_message("alice", msg("alice", "line"));
    m.handle_key(Key::special(KeyCode::PageUp));
    CHECK(m.active().scroll == 5);
    m.add_message("alice", msg("alice", "new"));  // view stays put
    CHECK(m.active().scroll == 6);
    for (int i = 0; i < 10; ++i) m.handle_key(Key::special(KeyCode::PageUp));
    CHECK(m.active().scroll == 20);  // clamped: oldest line at the top
    for (int i = 0; i < 10; ++i) m.handle_key(Key::special(KeyCode::PageDown));
    CHECK(m.active().scroll == 0);
}

TEST_CASE("command parsing", "[ui][model][commands]") {
    auto ok = [](std::string_view line, std::string_view active = "alice") {
        ParseResult r = parse_command(line, active);
        INFO(line << " -> " << r.error);
        REQUIRE(r.ok);
        return r.command;
    };
    auto bad = [](std::string_view line, std::string_view active = "alice") {
        ParseResult r = parse_command(line, active);
        INFO(line);
        CHECK_FALSE(r.ok);
        CHECK_FALSE(r.error.empty());
    };
    Command c = ok("/msg Bob  hi  there");
    CHECK(c.kind == CommandKind::Msg);
    CHECK(c.args == std::vector<std::string>{"bob", "hi  there"});
    c = ok("/msg #Ops hi");
    CHECK(c.args[0] == "#ops");
    CHECK(ok("//not a command").args == std::vector<std::string>{"alice", "/not a command"});
    CHECK(ok("hi", "#ops").args == std::vector<std::string>{"#ops", "hi"});
    CHECK(ok("/query carol").args == std::vector<std::string>{"carol"});
    CHECK(ok("/who").kind == CommandKind::Who);
    c = ok("/group create ops bob carol");
    CHECK(c.kind == CommandKind::GroupCreate);
    CHECK(c.args == std::vector<std::string>{"ops", "bob", "carol"});
    CHECK(ok("/group add #ops dave").kind == CommandKind::GroupAdd);
    CHECK(ok("/group remove ops dave").args == std::vector<std::string>{"ops", "dave"});
    CHECK(ok("/group leave ops").kind == CommandKind::GroupLeave);
    CHECK(ok("/group leave", "#ops").args == std::vector<std::string>{"ops"});
    CHECK(ok("/group members", "#ops").kind == CommandKind::GroupMembers);
    CHECK(ok("/fingerprint").args.empty());
    CHECK(ok("/fingerprint bob").args == std::vector<std::string>{"bob"});
    CHECK(ok("/accept-key bob").kind == CommandKind::AcceptKey);
    CHECK(ok("/rekey").kind == CommandKind::Rekey);
    CHECK(ok("/passwd").kind == CommandKind::Passwd);
    CHECK(ok("/search hello world").args == std::vector<std::string>{"hello world"});
    CHECK(ok("/help").kind == CommandKind::Help);
    CHECK(ok("/HELP msg").args == std::vector<std::string>{"msg"});
    CHECK(ok("/quit").kind == CommandKind::Quit);
    CHECK(ok("/mute").args == std::vector<std::string>{"alice"});
    CHECK(ok("/unmute #ops").args == std::vector<std::string>{"#ops"});

    bad("/msg bob");
    bad("/msg");
    bad("/msg b\x1b" "ob hi");
    bad("/msg 9lives hi");
    bad("/query");
    bad("/query a b");
    bad("/group");
    bad("/group frob ops");
    bad("/group add ops");
    bad("/group remove ops");
    bad("/group leave");  // active is a user, not a group
    bad("/accept-key");
    bad("/passwd secret");
    bad("/search");
    bad("/quit now");
    bad("/mute", "");
    bad("hello", "");
    bad("/nosuch");
    bad("/msg " + std::string(33, 'a') + " hi");
}

TEST_CASE("command table drives help", "[ui][model][commands]") {
    size_t screen = 0;
    for (const auto& c : command_table()) {
        CHECK_FALSE(c.help.empty());
        if (!offers(c, Front::Screen)) continue;
        ++screen;
        CHECK(help_lines(c.name).size() > 1);  // the usage, then the description
        CHECK(help_lines("/" + std::string(c.name)).front() == usage(c, Front::Screen));
    }
    CHECK(screen >= 14);
    CHECK(help_lines("nosuch").front().find("no such") != std::string::npos);
}

TEST_CASE("Tab: a second Tab cycles, and never moves the focus off a typed line", "[ui][model]") {
    Model m = logged_in();
    m.set_groups({{"ops", 2}, {"ops2", 3}});
    m.open("alice");
    m.editor().insert("#o");
    m.handle_key(Key::special(KeyCode::Tab));
    CHECK(m.editor().text() == "#ops ");
    m.handle_key(Key::special(KeyCode::Tab));
    CHECK(m.editor().text() == "#ops2 ");
    CHECK(m.focus() == Focus::Input);
    m.handle_key(Key::chr('x'));  // typing ends the cycle; after a space Tab does nothing
    m.handle_key(Key::chr(' '));
    m.handle_key(Key::special(KeyCode::Tab));
    CHECK(m.focus() == Focus::Input);
    CHECK(m.editor().text() == "#ops2 x ");
    m.editor().clear();
    m.handle_key(Key::special(KeyCode::Tab));  // empty line: Tab moves to the lists
    CHECK(m.focus() == Focus::Conversations);
}

TEST_CASE("blank lines are not sent", "[ui][model]") {
    Model m = logged_in();
    m.open("alice");
    for (std::string_view s : {" ", "   ", "\u3000", "\u00a0 \u2003"}) {
        Action a = type(m, s);
        CHECK(a.kind == Action::Kind::Error);
        CHECK(m.active().lines.back().text == "not sent: the line is blank");
        CHECK(m.editor().empty());
    }
    Action a = type(m, " hi ");
    CHECK(a.kind == Action::Kind::Command);
    CHECK(a.command.args[1] == " hi ");
}

TEST_CASE("local notices carry the clock's time", "[ui][model]") {
    Model m = logged_in();
    m.set_clock([]() -> uint64_t { return 1764093310000; });
    type(m, "/nosuchcommand");
    CHECK(m.active().lines.back().time_ms == 1764093310000);
    m.add_system({}, "given", 5);
    CHECK(m.active().lines.back().time_ms == 5);
}

TEST_CASE("/mute and /unmute always answer", "[ui][model]") {
    Model m = logged_in();
    m.open("alice");
    type(m, "/mute");
    CHECK(m.muted("alice"));
    CHECK(m.active().lines.back().text == "alice: notify none (muted: no bell, no highlight; /unmute undoes it)");
    type(m, "/unmute alice");
    CHECK_FALSE(m.muted("alice"));
    CHECK(m.active().lines.back().text.starts_with("alice: notify all ("));
    type(m, "/mute #nowhere");  // a level outlives windows, so one can be set before opening
    CHECK(m.active().lines.back().text.starts_with("#nowhere: notify none ("));
}

TEST_CASE("closing a conversation that is not the active one", "[ui][model]") {
    Model m = logged_in();
    m.open("alice");
    m.open("#ops");
    m.open("bob");
    m.close("#ops");
    CHECK(m.active().key == "bob");
    CHECK(m.conversations().size() == 3);
    m.close("bob");
    CHECK(m.active().key == "alice");
    m.close(kStatusKey);
    CHECK(m.conversations().size() == 2);
}

TEST_CASE("notify levels: all, mentions, none, per conversation; defaults by kind", "[ui][model][notify]") {
    Model m = logged_in();
    CHECK(m.level("bob") == NotifyLevel::All);
    CHECK(m.level("#ops") == NotifyLevel::Mentions);
    m.open("alice");

    // A group at its default rings only for mentions.
    CHECK_FALSE(m.add_message("#ops", msg("bob", "deploy done")));
    CHECK(m.add_message("#ops", msg("bob", "me: please look")));
    CHECK(m.take_bell());

    // Level all for the group: any message rings, once per burst.
    m.set_level("#dev", NotifyLevel::All);
    CHECK(m.add_message("#dev", msg("bob", "one")));
    CHECK_FALSE(m.add_message("#dev", msg("bob", "two")));
    m.open("#dev");  // looked at: the next burst rings again
    m.open("alice");
    CHECK(m.add_message("#dev", msg("bob", "three")));

    // Level mentions for a direct conversation; none mutes even mentions.
    m.set_level("bob", NotifyLevel::Mentions);
    CHECK_FALSE(m.add_message("bob", msg("bob", "hello")));
    m.set_level("bob", NotifyLevel::None);
    CHECK_FALSE(m.add_message("bob", msg("bob", "hey me")));
    m.take_bell();
    CHECK_FALSE(m.take_bell());

    // Back to the default: nothing explicit is kept.
    m.set_level("bob", std::nullopt);
    m.set_level("#dev", NotifyLevel::Mentions);
    CHECK(m.levels().empty());

    // Levels outlive the window.
    m.set_level("carol", NotifyLevel::None);
    m.open("carol");
    m.close_active();
    CHECK(m.find("carol") == nullptr);
    CHECK(m.muted("carol"));
}

TEST_CASE("a burst of 200 messages rings once; a key in the active window re-arms it", "[ui][model][notify]") {
    Model m = logged_in();
    m.open("alice");
    int rang = 0;
    for (int i = 0; i < 200; ++i) rang += m.add_message("bot", msg("bot", "build " + std::to_string(i)));
    CHECK(rang == 1);
    // In the active window only mentions ring, and again only after a key.
    CHECK_FALSE(m.add_message("alice", msg("alice", "plain")));
    CHECK(m.add_message("alice", msg("alice", "me?")));
    CHECK_FALSE(m.add_message("alice", msg("alice", "me??")));
    m.seen_active();
    CHECK(m.add_message("alice", msg("alice", "me???")));
    // My own lines and history never ring.
    m.open("bot");
    m.open("alice");
    CHECK_FALSE(m.add_message("bot", msg("me", "me talking")));
    CHECK_FALSE(m.add_message("bot", msg("bot", "old me"), Arrival::History));
    CHECK(m.find("bot")->unread == 0);
    CHECK(m.add_message("bot", msg("bot", "new")));
}

TEST_CASE("highlight words count as mentions", "[ui][model][notify]") {
    Model m = logged_in();
    m.set_highlights({"deploy", "on call"});
    m.open("alice");
    CHECK(m.add_message("#ops", msg("bob", "Deploy is broken")));
    CHECK(m.find("#ops")->mention);
    CHECK(m.find("#ops")->lines.back().mention);
    CHECK_FALSE(m.add_message("#dev", msg("bob", "redeployed")));  // whole words only
    CHECK(m.add_message("#dev", msg("bob", "who is on call?")));
}

TEST_CASE("/notify parses a level and a target, either optional", "[ui][model][notify]") {
    auto p = [](std::string_view line, std::string_view active = "bob") { return parse_command(line, active); };
    CHECK((p("/notify mentions").command.args == std::vector<std::string>{"bob", "mentions"}));
    CHECK((p("/notify none #Ops").command.args == std::vector<std::string>{"#ops", "none"}));
    CHECK((p("/notify").command.args == std::vector<std::string>{"bob", ""}));
    CHECK((p("/notify carol").command.args == std::vector<std::string>{"carol", ""}));
    CHECK((p("/notify", "").command.args == std::vector<std::string>{"", ""}));
    CHECK_FALSE(p("/notify all", "").ok);
    CHECK_FALSE(p("/notify loud bob").ok);
    CHECK_FALSE(p("/notify all bob extra").ok);
    Model m = logged_in();
    m.open("bob");
    type(m, "/notify mentions");
    CHECK(m.level("bob") == NotifyLevel::Mentions);
    type(m, "/notify default");
    CHECK(m.level("bob") == NotifyLevel::All);
}

TEST_CASE("/url lists the recent URLs newest first and shows one alone", "[ui][model][links]") {
    Model m = logged_in();
    type(m, "/url");
    CHECK(m.active().lines.back().text == "no URLs seen yet");
    m.add_message("bob", msg("bob", "see https://a.org/one."));
    m.add_message("carol", msg("carol", "and http://b.net/two, https://a.org/one again"));
    m.add_message("bob", msg("bob", "ftp://x\x1b]8;;evil"));  // arrives sanitised: "^[" is text
    type(m, "/url");
    const auto& lines = m.active().lines;
    REQUIRE(lines.size() >= 4);
    CHECK(lines[lines.size() - 3].text == "  1 ftp://x^[]8;;evil");
    CHECK(lines[lines.size() - 2].text == "  2 https://a.org/one");
    CHECK(lines[lines.size() - 1].text == "  3 http://b.net/two");
    type(m, "/url 3");
    CHECK(m.active().lines.back().text == "http://b.net/two");
    type(m, "/url 9");
    CHECK(m.active().lines.back().text == "no URL 9: there are 3 (/url lists them)");
    for (int i = 0; i < 25; ++i) m.add_message("bob", msg("bob", "https://n.org/" + std::to_string(i)));
    type(m, "/url 20");
    CHECK(m.active().lines.back().text == "https://n.org/5");
    type(m, "/url 21");
    CHECK(m.active().lines.back().text == "no URL 21: there are 20 (/url lists them)");
}
