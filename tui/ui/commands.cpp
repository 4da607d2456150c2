#include "tui/ui/commands.hpp"

#include <optional>

namespace tacit::ui {

namespace {

const CommandInfo* lookup(std::string_view name) {
    for (const auto& c : command_table())
        if (c.name == name) return &c;
    return nullptr;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

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

private:
    void skip() {
        while (!s_.empty() && (s_[0] == ' ' || s_[0] == '\t')) s_.remove_prefix(1);
    }
    std::string_view s_;
};

ParseResult fail(std::string_view name) {
    const CommandInfo* c = lookup(name);
    return {false, {}, "usage: " + std::string(c ? c->usage : name)};
}

ParseResult fail_msg(std::string msg) { return {false, {}, std::move(msg)}; }

ParseResult ok(CommandKind k, std::vector<std::string> args = {}) { return {true, {k, std::move(args)}, {}}; }

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

ParseResult parse_group(Words& w, std::string_view active) {
    auto sub = w.next();
    if (!sub) return fail("/group");
    std::string s = lower(*sub);
    // leave/members default to the active conversation when it is a group.
    std::optional<std::string> g;
    if (auto a = w.next()) g = group(*a);
    else if ((s == "leave" || s == "members") && active.size() > 1 && active[0] == '#')
        g = std::string(active.substr(1));
    else return fail("/group");
    if (!g) return fail_msg("invalid group name (1-32 of a-z 0-9 _ . -, starting with a letter)");

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
    return fail("/group");
}

// For /query, /mute, /unmute: an explicit target or the active one.
ParseResult parse_target_cmd(Words& w, std::string_view name, CommandKind k, std::string_view active,
                             bool default_active) {
    auto a = w.next();
    if (!a) {
        if (default_active && !active.empty()) return ok(k, {std::string(active)});
        return fail(name);
    }
    if (!w.rest().empty()) return fail(name);
    auto t = target(*a);
    if (!t) return fail_msg("invalid name: " + std::string(*a));
    return ok(k, {*t});
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
    if (!w.rest().empty() || (who.empty() && !level.empty())) return fail("/notify");
    return ok(CommandKind::Notify, {who, level});
}

ParseResult no_args(Words& w, std::string_view name, CommandKind k) {
    if (!w.rest().empty()) return fail(name);
    return ok(k);
}

}  // namespace

const std::vector<CommandInfo>& command_table() {
    static const std::vector<CommandInfo> table = {
        {"/msg", "/msg USER|#GROUP TEXT", "send one message without switching conversation"},
        {"/query", "/query USER|#GROUP", "open a conversation and switch to it"},
        {"/close", "/close", "close the active conversation window"},
        {"/who", "/who", "list the users online"},
        {"/group", "/group create|add|remove|leave|members GROUP [USER...]", "manage groups"},
        {"/fingerprint", "/fingerprint [USER]", "show your key fingerprint, or USER's pinned one"},
        {"/accept-key", "/accept-key USER", "trust USER's new key after checking its fingerprint"},
        {"/rekey", "/rekey", "make a new key pair and publish it"},
        {"/passwd", "/passwd", "change your password (you will be prompted)"},
        {"/search", "/search TEXT", "search the local message history"},
        {"/notify", "/notify [all|mentions|none|default] [USER|#GROUP]",
         "what rings the bell in a conversation; alone, show it"},
        {"/mute", "/mute [USER|#GROUP]", "no bell or highlight for a conversation (/notify none)"},
        {"/unmute", "/unmute [USER|#GROUP]", "undo /mute (/notify default)"},
        {"/help", "/help [COMMAND]", "list commands, or explain one"},
        {"/quit", "/quit", "leave tacit"},
    };
    return table;
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
    if (!t.empty() && t[0] != '/') t = "/" + t;
    for (const auto& c : command_table())
        if (t.empty() || c.name == t) out.push_back(std::string(c.usage) + "  -  " + std::string(c.help));
    if (out.empty()) out.push_back("no such command: " + t);
    else if (t.empty()) out.push_back("Keys: Tab complete/focus, Alt-1..9 or Ctrl-N/P switch, PgUp/PgDn scroll");
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
    if (name == "/msg") {
        auto a = w.next();
        std::string_view text = w.rest();
        if (!a || text.empty()) return fail(name);
        auto t = target(*a);
        if (!t) return fail_msg("invalid name: " + std::string(*a));
        return ok(CommandKind::Msg, {*t, std::string(text)});
    }
    if (name == "/query") return parse_target_cmd(w, name, CommandKind::Query, active, false);
    if (name == "/mute") return parse_target_cmd(w, name, CommandKind::Mute, active, true);
    if (name == "/unmute") return parse_target_cmd(w, name, CommandKind::Unmute, active, true);
    if (name == "/notify") return parse_notify(w, active);
    if (name == "/group") return parse_group(w, active);
    if (name == "/fingerprint" || name == "/accept-key") {
        auto a = w.next();
        bool optional = name == "/fingerprint";
        if (!a) return optional ? ok(CommandKind::Fingerprint) : fail(name);
        if (!w.rest().empty()) return fail(name);
        auto u = user(*a);
        if (!u) return fail_msg("invalid user name: " + std::string(*a));
        return ok(optional ? CommandKind::Fingerprint : CommandKind::AcceptKey, {*u});
    }
    if (name == "/search") {
        std::string_view text = w.rest();
        if (text.empty()) return fail(name);
        return ok(CommandKind::Search, {std::string(text)});
    }
    if (name == "/help") {
        auto a = w.next();
        if (!a) return ok(CommandKind::Help);
        return ok(CommandKind::Help, {lower(*a)});
    }
    if (name == "/passwd") {
        if (!w.rest().empty()) return fail_msg("type /passwd alone; you will be asked for the passwords");
        return ok(CommandKind::Passwd);
    }
    if (name == "/close") return no_args(w, name, CommandKind::Close);
    if (name == "/who") return no_args(w, name, CommandKind::Who);
    if (name == "/rekey") return no_args(w, name, CommandKind::Rekey);
    if (name == "/quit") return no_args(w, name, CommandKind::Quit);
    return fail_msg("unknown command " + name + " (try /help)");
}

}  // namespace tacit::ui
