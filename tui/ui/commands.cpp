#include "tui/ui/commands.hpp"

#include <cmath>
#include <cstdlib>

#include "shared/bytes.hpp"

namespace tacit::ui {

// Splits off whitespace-separated words; rest() is what is left, verbatim
// apart from the separating spaces, so message text keeps its spacing.
class Words {
public:
    explicit Words(std::string_view s) : s_(s) {}
    std::optional<std::string_view> next() {
        skip();
        if (s_.empty()) return std::nullopt;
        size_t n = s_.find_first_of(" \t");
        std::string_view w = s_.substr(0, n);
        s_.remove_prefix(n == std::string_view::npos ? s_.size() : n);
        return w;
    }
    std::string_view rest() {
        skip();
        return s_;
    }
    size_t count() const {
        Words copy(s_);
        size_t n = 0;
        while (copy.next()) ++n;
        return n;
    }

private:
    void skip() {
        while (!s_.empty() && (s_[0] == ' ' || s_[0] == '\t')) s_.remove_prefix(1);
    }
    std::string_view s_;
};

Command::~Command() {
    for (auto& a : args) wipe(a.data(), a.size());
}

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

const CommandInfo* lookup(std::string_view name, Front f) {
    for (const auto& c : command_table())
        if (c.name == name && offers(c, f)) return &c;
    return nullptr;
}

ParseResult fail_msg(std::string msg) { return {false, {}, std::move(msg)}; }

ParseResult ok(CommandKind k, std::vector<std::string> args = {}) { return {true, {k, std::move(args)}, {}}; }

// The screen's answer to words that don't fit: the usage line.
ParseResult screen_usage(std::string_view name) {
    const CommandInfo* c = lookup(name, Front::Screen);
    return fail_msg("usage: " + (c ? usage(*c, Front::Screen) : "/" + std::string(name)));
}

// "alice" or "#ops" -> normalized conversation key, or nullopt if invalid.
std::optional<std::string> target(std::string_view w) {
    bool group = !w.empty() && w[0] == '#';
    std::string name = lower(group ? w.substr(1) : w);
    if (!valid_name(name)) return std::nullopt;
    return group ? "#" + name : name;
}

std::optional<std::string> user(std::string_view w) {
    std::string name = lower(w);
    if (!valid_name(name)) return std::nullopt;
    return name;
}

std::optional<std::string> group(std::string_view w) {
    if (!w.empty() && w[0] == '#') w.remove_prefix(1);
    return user(w);
}

constexpr const char* kBadGroup = "invalid group name (1-32 of a-z 0-9 _ . -, starting with a letter)";

// A whole word as a non-negative number no larger than max, or nullopt.
std::optional<double> number(std::string_view w, double max) {
    std::string s(w);
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(v) || v < 0 || v > max) return std::nullopt;
    return v;
}

// The screen checks and lower-cases names as they are typed; batch mode
// passes them as written and the client core judges them. Numbers are
// checked on both. "" when w is good, else the reason.
std::string take(const ArgSpec& a, std::string_view w, Front f, ParseResult& r) {
    switch (a.type) {
        case ArgType::Target:
        case ArgType::User:
        case ArgType::Group: {
            if (f == Front::Batch) break;
            auto n = a.type == ArgType::Target ? target(w) : a.type == ArgType::User ? user(w) : group(w);
            if (!n)
                return a.type == ArgType::Target ? "invalid name: " + std::string(w)
                       : a.type == ArgType::User ? "invalid user name: " + std::string(w)
                                                 : std::string(kBadGroup);
            r.command.args.push_back(*n);
            return "";
        }
        case ArgType::Seconds:
        case ArgType::Count: {
            const bool whole = a.type == ArgType::Count;
            auto v = number(w, whole ? 1e6 : 86400);
            if (!v || (whole && *v != std::floor(*v)))
                return whole ? "N must be a whole number of messages" : "SECONDS must be a number from 0 to 86400";
            r.command.number = *v;
            return "";
        }
        case ArgType::Word:
            if (f == Front::Screen) {  // the help topic, typed in any case
                r.command.args.push_back(lower(w));
                return "";
            }
            break;
        case ArgType::Text: break;
    }
    r.command.args.emplace_back(w);
    return "";
}

// Fits the words after the name to c's ArgSpecs: first the count (missing,
// too many), then each word's type, as tacit(1) orders the reasons.
ParseResult parse_args(const CommandInfo& c, Words& w, Front f, std::string_view active) {
    if (c.custom) return c.custom(w, active);
    size_t lo = 0, hi = 0;
    for (const auto& a : c.args) {
        if (a.arity == Arity::One) ++lo;
        hi = (a.arity == Arity::Many || a.type == ArgType::Text) ? size_t(-1) : hi + 1;
    }
    const size_t n = w.count();
    if (n < lo || n > hi) {
        if (f == Front::Screen)
            return n > hi && !c.alone.empty() ? fail_msg(std::string(c.alone)) : screen_usage(c.name);
        return fail_msg(std::string(n < lo ? "missing arguments" : "too many arguments") +
                        "; usage: " + usage(c, Front::Batch));
    }
    ParseResult r{true, {c.kind, {}}, {}};
    r.command.args.reserve(n + 1);
    for (const auto& a : c.args) {
        std::optional<std::string_view> word;
        if (a.type == ArgType::Text) {
            auto rest = w.rest();
            if (!rest.empty()) word = rest;
            w = Words(std::string_view());
        } else {
            word = w.next();
        }
        if (!word) {
            if (a.active_default && f == Front::Screen) {
                if (active.empty()) return screen_usage(c.name);
                r.command.args.emplace_back(active);
            }
            continue;
        }
        if (auto why = take(a, *word, f, r); !why.empty()) return fail_msg(why);
        if (a.arity == Arity::Many)
            while (auto more = w.next())
                if (auto why = take(a, *more, f, r); !why.empty()) return fail_msg(why);
    }
    return r;
}

ParseResult parse_group(Words& w, std::string_view active) {
    auto sub = w.next();
    if (!sub) return screen_usage("group");
    std::string s = lower(*sub);
    // leave/members default to the active conversation when it is a group.
    std::optional<std::string> g;
    if (auto a = w.next()) g = group(*a);
    else if ((s == "leave" || s == "members") && active.size() > 1 && active[0] == '#')
        g = std::string(active.substr(1));
    else return screen_usage("group");
    if (!g) return fail_msg(kBadGroup);

    std::vector<std::string> args{*g};
    while (auto u = w.next()) {
        auto n = user(*u);
        if (!n) return fail_msg("invalid user name: " + std::string(*u));
        args.push_back(*n);
    }
    if (s == "create") return ok(CommandKind::GroupCreate, std::move(args));
    if (s == "add" && args.size() >= 2) return ok(CommandKind::GroupAdd, std::move(args));
    if (s == "remove" && args.size() == 2) return ok(CommandKind::GroupRemove, std::move(args));
    if (s == "leave" && args.size() == 1) return ok(CommandKind::GroupLeave, std::move(args));
    if (s == "members" && args.size() == 1) return ok(CommandKind::GroupMembers, std::move(args));
    return screen_usage("group");
}

// /notify [LEVEL] [TARGET]: either word may be left out.
ParseResult parse_notify(Words& w, std::string_view active) {
    std::string level, who(active);
    auto a = w.next();
    if (a) {
        std::string l = lower(*a);
        if (l == "all" || l == "mentions" || l == "none" || l == "default") {
            level = l;
            a = w.next();
        }
    }
    if (a) {
        auto t = target(*a);
        if (!t) return fail_msg("invalid name or level: " + std::string(*a) + " (levels: all, mentions, none, default)");
        who = *t;
    }
    if (!w.rest().empty() || (who.empty() && !level.empty())) return screen_usage("notify");
    return ok(CommandKind::Notify, {who, level});
}

// /me TEXT: the active conversation is the target; the status window has none.
ParseResult parse_me(Words& w, std::string_view active) {
    if (w.rest().empty()) return screen_usage("me");
    if (active.empty()) return fail_msg("no conversation here: /me acts in a conversation window");
    return ok(CommandKind::Me, {std::string(active), std::string(w.rest())});
}

using K = CommandKind;
using T = ArgType;
constexpr Front S = Front::Screen, B = Front::Batch, Both = Front::Both;
constexpr ArgSpec kOpt(T t, bool active = false) { return {t, Arity::Optional, active}; }

CommandInfo row(std::string_view name, Front f, K k, std::vector<ArgSpec> args, std::string_view usage,
                std::string_view help, CustomParse custom = nullptr, std::string_view alone = {}) {
    return {name, f, k, std::move(args), usage, help, custom, alone, {}, {}};
}

CommandInfo described(CommandInfo c, std::vector<std::string_view> about, std::vector<std::string_view> examples = {}) {
    c.about = std::move(about);
    c.examples = std::move(examples);
    return c;
}

// /group's sub-commands each have their entry in tacit(1), then a paragraph
// on the lines membership changes show.
const std::vector<std::string_view> kGroupAbout = {
    "/group create group [user ...]",
    "Create a group, which you own, and add the users given. The outcome for each user, such as an unknown name, "
    "is shown in the new group's window.",
    "/group add group user ...",
    "Add members; only the owner can.",
    "/group remove group user",
    "Remove a member; only the owner can.",
    "/group leave [group]",
    "Leave a group; the default is the active group conversation. The owner can leave only as the last member, "
    "which dissolves the group. A group you leave, are removed from, or that is dissolved leaves the "
    "Conversations and Groups lists, with a notice in the status window; its history stays in the local store, "
    "where /search finds it.",
    "/group members [group]",
    "List the members, as the group's signed records name them; the owner, who created the group, is marked "
    "‘(owner)’. Ownership cannot be transferred: the owner stays the owner until the group is dissolved.",
    "Every membership change shows in the group's window as a line such as ‘alice added carol to #ops [signed "
    "by alice]’: the client read it from the change's record, signed by the user who made it, and checked that "
    "signature. When you are added, the line says who added you and ends with ‘/group leave #ops to leave "
    "it’. A line that ends ‘[no user signature]’ is the server's word alone: at login the server no "
    "longer lists a group you were in and shows no signed record of your removal (a dissolved group, or a server "
    "that hides one), and the line reads ‘bob is no longer a member of #ops (the server no longer lists it) "
    "[no user signature]’. When you are removed, you see the owner's signed remove record, as ‘alice "
    "removed bob from #ops [signed by alice]’. Changes made while you were offline show when you next log in: "
    "the client asks the server for your groups' latest records.",
};

}  // namespace

// Screen rows first, in /help's order; batch rows in tacit(1)'s.
const std::vector<CommandInfo>& command_table() {
    static const std::vector<CommandInfo> table = {
        described(row("msg", S, K::Msg, {{T::Target}, {T::Text}}, "USER|#GROUP TEXT",
                      "send one message without switching conversation"),
                  {"Send one message without switching conversation."},
                  {"/msg bob lunch at noon?", "/msg #ops the build is green"}),
        described(row("query", S, K::Query, {{T::Target}}, "USER|#GROUP", "open a conversation and switch to it"),
                  {"Open a conversation and switch to it. A user the server does not know, or a group you are not "
                   "in, is refused with a notice and no window is opened."},
                  {"/query bob", "/query #ops"}),
        described(row("me", S, K::Me, {}, "TEXT", "send an action: /me waves shows \"* you waves\"", parse_me),
                  {"Send an action to the active conversation: it shows as ‘* alice text’ (a star in the "
                   "nick column, then your name and the text), as in IRC. On the wire it is an ordinary message "
                   "whose body is IRC's CTCP ACTION form, byte 0x01, ‘ACTION ’, the text, byte 0x01 "
                   "(tacit-protocol(7), END-TO-END PAYLOAD); a client that does not know the form shows the body "
                   "as it is, the control bytes as ‘^A’. Refused in the status window, which has no "
                   "conversation."},
                  {"/me waves"}),
        described(row("close", S, K::Close, {}, "", "close the active conversation window"),
                  {"Close the active conversation window."}),
        described(row("clear", S, K::Clear, {}, "", "clear this window's lines from the screen (the history stays)"),
                  {"Clear the active window's lines from the screen. The local history keeps them: /search finds "
                   "them, and the next start shows them again; until then the window is not filled from the "
                   "history again."}),
        described(row("who", Both, K::Who, {}, "", "list the users online"), {"List the users online."}),
        described(row("group", S, K::GroupCreate, {}, "create|add|remove|leave|members GROUP [USER...]",
                      "manage groups", parse_group),
                  kGroupAbout,
                  {"/group create ops bob carol", "/group add ops dave", "/group remove ops dave",
                   "/group leave #ops", "/group members ops"}),
        described(row("fingerprint", Both, K::Fingerprint, {kOpt(T::User)}, "[USER]",
                      "show your key fingerprint, or USER's pinned one"),
                  {"Show your own key fingerprint, or the one pinned for user."}, {"/fingerprint", "/fingerprint bob"}),
        described(row("accept-key", Both, K::AcceptKey, {{T::User}}, "USER",
                      "trust USER's new key after checking its fingerprint"),
                  {"Trust user's new key after you have checked its fingerprint with them; see SECURITY NOTES. A "
                   "message that the key change kept from being sent comes back into the input line; Enter sends "
                   "it."},
                  {"/accept-key bob"}),
        described(row("rekey", Both, K::Rekey, {}, "", "make a new key pair and publish it"),
                  {"Make a new key pair and publish it; you stay logged in with it. Everyone who has your old key "
                   "pinned sees that it changed. In each of your groups the change is recorded, signed by your old "
                   "key and the new one, so the other members take the new key from the group's signed records "
                   "without a key change to accept; the reply names a group where that failed."}),
        described(row("passwd", S, K::Passwd, {}, "", "change your password (you will be prompted)", nullptr,
                      "type /passwd alone; you will be asked for the passwords"),
                  {"Change your password: you are asked for the current one, which must open your identity file, "
                   "then for the new one twice. Your key pair stays the same, so your contacts see no key change; "
                   "only its file is sealed again under the new password. Esc cancels."}),
        described(row("search", Both, K::Search, {{T::Text}}, "TEXT",
                      "search the local message history; Enter on a result goes to it"),
                  {"Search the local message history. The results, the newest 50 at most, show in the active "
                   "window, each with the date and time it was sent, its conversation and its sender, and they take "
                   "the focus with the newest picked: Up and Down pick another, and Enter opens its conversation "
                   "scrolled back to the message, which stays highlighted until you leave the window. Esc, Tab, "
                   "typing, or leaving the window gives the keys back to the input line. A message that is not "
                   "among the lines its window holds (after /clear, or older than the last 300) is not shown; a "
                   "notice says so."},
                  {"/search lunch"}),
        described(row("notify", S, K::Notify, {}, "[all|mentions|none|default] [USER|#GROUP]",
                      "what rings the bell in a conversation; alone, show it", parse_notify),
                  {"Set what rings the bell in a conversation (see Notifications); the default conversation is the "
                   "active one, and default goes back to the default level. Without a level, show the "
                   "conversation's level; in the status window, list the levels set."},
                  {"/notify", "/notify mentions", "/notify all #ops", "/notify default bob"}),
        described(row("mute", S, K::Mute, {kOpt(T::Target, true)}, "[USER|#GROUP]",
                      "no bell or highlight for a conversation (/notify none)"),
                  {"/notify none: no bell or highlight for a conversation; the default is the active one. Each "
                   "/mute and /unmute answers with a notice naming the level now in force."},
                  {"/mute", "/mute #ops"}),
        described(row("unmute", S, K::Unmute, {kOpt(T::Target, true)}, "[USER|#GROUP]", "undo /mute (/notify default)"),
                  {"/notify default: back to the default level, all for a direct conversation, mentions for a "
                   "group."},
                  {"/unmute #ops"}),
        described(row("ignore", S, K::Ignore, {kOpt(T::User)}, "[USER]",
                      "hide USER's messages (kept in the history, never rung); alone, list who is ignored"),
                  {"Hide user's messages, in direct conversations and groups alike: they are still received and "
                   "kept in the local history (/search finds them), but are not shown, not counted as unread and "
                   "never ring or notify; those already on the screen leave it. Membership lines about the user "
                   "still show. Client-side only: the user is not told. The list is kept in the local store's "
                   "settings, so it survives a restart. Alone, lists the users ignored."},
                  {"/ignore", "/ignore mallory"}),
        described(row("unignore", S, K::Unignore, {{T::User}}, "USER", "show USER's new messages again"),
                  {"Show user's new messages again; those received while ignored are shown from the history at "
                   "the next start."},
                  {"/unignore mallory"}),
        described(row("help", S, K::Help, {kOpt(T::Word)}, "[COMMAND]", "list commands, or explain one"),
                  {"List the commands, or explain one: with a command, its whole description, as this page gives "
                   "it, and examples."},
                  {"/help", "/help group"}),
        described(row("url", S, K::Url, {kOpt(T::Count)}, "[N]", "list the recent URLs, or show one alone"),
                  {"List the last 20 URLs seen in messages, in any conversation, newest first and numbered, in the "
                   "active window; they are not sent. With a number, show that URL alone on a line, so it can be "
                   "copied. A URL starts with http://, https://, ftp:// or mailto: and ends at a space."},
                  {"/url", "/url 1"}),
        described(row("quit", Both, K::Quit, {}, "", "leave tacit"), {"Leave tacit."}),
        row("exit", B, K::Quit, {}, "", "leave tacit"),
        row("ping", B, K::Ping, {}, "", "round trip to the server"),
        row("register", B, K::Register, {{T::Word}, {T::Text}}, "NAME PASSWORD", "create and register an identity"),
        row("login", B, K::Login, {{T::Word}, {T::Text}}, "NAME PASSWORD", "log in"),
        row("logout", B, K::Logout, {}, "", "log out"),
        row("passwd", B, K::Passwd, {{T::Word}, {T::Text}}, "OLD NEW", "change the password"),
        row("send", B, K::Msg, {{T::User}, {T::Text}}, "USER TEXT...", "send a message"),
        row("update", B, K::Update, {}, "", "fetch waiting messages now"),
        row("history", B, K::History, {{T::Target}, kOpt(T::Count)}, "USER|#GROUP [N]", "the last N messages"),
        row("wait", B, K::Wait, {kOpt(T::Seconds)}, "[SECONDS]", "deliver events for a while"),
        row("group-create", B, K::GroupCreate, {{T::Group}}, "G", "create a group"),
        row("group-add", B, K::GroupAdd, {{T::Group}, {T::User}}, "G USER", "add a member"),
        row("group-remove", B, K::GroupRemove, {{T::Group}, {T::User}}, "G USER", "remove a member"),
        row("group-leave", B, K::GroupLeave, {{T::Group}}, "G", "leave a group"),
        row("groups", B, K::Groups, {}, "", "the groups you are in"),
        row("members", B, K::GroupMembers, {{T::Group}}, "G", "a group's members"),
        row("group-send", B, K::GroupSend, {{T::Group}, {T::Text}}, "G TEXT...", "send to a group"),
        row("reconnect", B, K::Reconnect, {}, "", "connect again and resume the session"),
    };
    return table;
}

bool offers(const CommandInfo& c, Front f) { return (static_cast<unsigned>(c.front) & static_cast<unsigned>(f)) != 0; }

std::string usage(const CommandInfo& c, Front f) {
    std::string u = (f == Front::Screen ? "/" : "") + std::string(c.name);
    if (!c.usage.empty()) u += " " + std::string(c.usage);
    return u;
}

bool valid_name(std::string_view n) {
    if (n.empty() || n.size() > 32 || n[0] < 'a' || n[0] > 'z') return false;
    for (char c : n)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    return true;
}

std::vector<std::string> help_lines(std::string_view topic) {
    std::vector<std::string> out;
    std::string t(topic);
    if (!t.empty() && t[0] == '/') t.erase(0, 1);
    if (t.empty()) {
        for (const auto& c : command_table())
            if (offers(c, Front::Screen)) out.push_back(usage(c, Front::Screen) + "  -  " + std::string(c.help));
        out.push_back("Keys: Tab complete/focus, Alt-1..9 or Ctrl-N/P switch, Alt-A next with activity, PgUp/PgDn scroll");
        out.push_back("/help COMMAND explains one command, with examples");
        return out;
    }
    const CommandInfo* c = lookup(t, Front::Screen);
    if (!c) return {"no such command: /" + t + " (/help lists them)"};
    out.push_back(usage(*c, Front::Screen));
    for (auto p : c->about) out.push_back("  " + std::string(p));
    if (!c->examples.empty()) out.push_back(c->examples.size() == 1 ? "  Example:" : "  Examples:");
    for (auto e : c->examples) out.push_back("    " + std::string(e));
    return out;
}

ParseResult parse_command(std::string_view line, std::string_view active) {
    if (line.empty()) return fail_msg("nothing to send");
    if (line[0] != '/' || line.substr(0, 2) == "//") {
        if (line[0] == '/') line.remove_prefix(1);
        if (active.empty()) return fail_msg("no conversation here: use /query USER or /msg USER TEXT");
        return ok(CommandKind::Send, {std::string(active), std::string(line)});
    }
    Words w(line);
    std::string name = lower(*w.next());
    const CommandInfo* c = lookup(std::string_view(name).substr(1), Front::Screen);
    if (!c) return fail_msg("unknown command " + name + " (try /help)");
    return parse_args(*c, w, Front::Screen, active);
}

ParseResult parse_batch_command(std::string_view line) {
    Words w(line);
    auto name = w.next();
    if (!name) return fail_msg("nothing to do");
    const CommandInfo* c = lookup(*name, Front::Batch);
    if (!c) return fail_msg("unknown command " + std::string(*name));
    return parse_args(*c, w, Front::Batch, {});
}

}  // namespace tacit::ui
