// The commands of both front ends in one table: the full-screen client's
// slash commands and batch mode's (tacit(1) BATCH MODE). Each row gives the
// name, which front end offers it, its arguments (types and arity) and its
// help line; parsing, /help and Tab completion all read it, so they cannot
// drift apart, and both front ends dispatch on the CommandKind it yields.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tacit::ui {

enum class CommandKind {
    Send,          // plain text: {target, text}
    Msg,           // {target, text}; target is "user" or "#group"
    Query,         // {target}
    Close,         // {}: closes the active conversation
    Me,            // {target, text}: an action in the active conversation
    Clear,         // {}: empties the active window (the history stays)
    Who,           // {}
    GroupCreate,   // {group, user...}: group id without '#'
    GroupAdd,      // {group, user, user...}
    GroupRemove,   // {group, user}
    GroupLeave,    // {group}
    GroupMembers,  // {group}
    Fingerprint,   // {} (mine) or {user}
    AcceptKey,     // {user}
    Rekey,         // {}
    Passwd,        // {}: the view asks for the passwords, never the command line
    Search,        // {text}
    Help,          // {} or {command}
    Url,           // {} (list) or {n}: the recent URLs, 1 the newest
    Ignore,        // {} (list) or {user}
    Unignore,      // {user}
    Quit,          // {}
    Mute,          // {target}
    Unmute,        // {target}: back to the default level
    Notify,        // {target, level}: level "all", "mentions", "none", "default" or "" to show;
                   // target "" (status window, none given) lists the levels set
    // Batch mode's own (the screen does these by itself, or in the login form):
    Ping,          // {}
    Register,      // {name, password}
    Login,         // {name, password}
    Logout,        // {}
    Update,        // {}
    History,       // {conversation} and number: N, or none (default)
    Wait,          // {} and number: SECONDS, or none (default)
    Groups,        // {}
    GroupSend,     // {group, text}
    Reconnect,     // {}
};

// Which front end offers a row: the screen (typed with a leading '/') or
// batch mode (the bare name), or both.
enum class Front : unsigned char { Screen = 1, Batch = 2, Both = 3 };

enum class ArgType : unsigned char {
    Target,   // USER or #GROUP
    User,
    Group,    // with or without '#'
    Word,     // anything (batch passwords, the help topic)
    Seconds,  // a number from 0 to 86400
    Count,    // a whole number from 0 to 1000000
    Text,     // the rest of the line, as typed
};
enum class Arity : unsigned char { One, Optional, Many /* zero or more */ };
struct ArgSpec {
    constexpr ArgSpec(ArgType t, Arity a = Arity::One, bool act = false) : type(t), arity(a), active_default(act) {}
    ArgType type;
    Arity arity;
    bool active_default;  // Optional on the screen: the active conversation when left out
};

class Words;
struct ParseResult;
// A row whose words don't fit a list of ArgSpec (/group's sub-commands,
// /notify's two optional words in either order) parses them itself.
using CustomParse = ParseResult (*)(Words& rest, std::string_view active);

struct Command {
    CommandKind kind = CommandKind::Send;
    std::vector<std::string> args;
    std::optional<double> number;  // a Seconds or Count argument, when given
    Command() = default;
    Command(CommandKind k, std::vector<std::string> a) : kind(k), args(std::move(a)) {}
    Command(const Command&) = default;
    Command(Command&&) = default;
    Command& operator=(const Command&) = default;
    Command& operator=(Command&&) = default;
    ~Command();  // wipes the arguments: a batch password is one
};

struct CommandInfo {
    std::string_view name;   // "msg": typed "/msg" on the screen, "msg" in batch
    Front front;
    CommandKind kind;
    std::vector<ArgSpec> args;
    std::string_view usage;  // after the name: "USER|#GROUP TEXT"
    std::string_view help;   // one line
    CustomParse custom = nullptr;
    std::string_view alone;  // the reason given for extra words, where "usage" would not say it
    // /help COMMAND: the paragraphs of the command's entry in tacit(1) THE
    // SCREEN, as mandoc renders them, and lines to type; a unit test holds
    // the page to them (tests/unit/test_commands.cpp).
    std::vector<std::string_view> about;
    std::vector<std::string_view> examples;
};

const std::vector<CommandInfo>& command_table();
bool offers(const CommandInfo& c, Front f);
// "/msg USER|#GROUP TEXT" on the screen, "send USER TEXT..." in batch.
std::string usage(const CommandInfo& c, Front f);

struct ParseResult {
    bool ok = false;
    Command command;
    std::string error;  // usage message when !ok
};

// The screen's input line. active is the active conversation key ("alice"
// or "#ops"), or "" when there is none (the status window). Names are
// lower-cased and checked against the protocol's rule; "//text" sends the
// literal "/text".
ParseResult parse_command(std::string_view line, std::string_view active);

// One line of batch mode's input, "" and '#' lines excluded. Names go as
// written (the client core judges them); the error is tacit(1)'s: "missing
// arguments; usage: ...", "too many arguments; usage: ...", a number's rule,
// or "unknown command NAME".
ParseResult parse_batch_command(std::string_view line);

// Protocol names: 1..32 bytes of [a-z0-9_.-], starting with a letter.
bool valid_name(std::string_view name);

// Lines for /help (all commands: usage and help line) or /help CMD (usage,
// the whole description, the examples).
std::vector<std::string> help_lines(std::string_view topic = {});

}  // namespace tacit::ui
