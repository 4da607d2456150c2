// The input line's slash commands: one table (name, usage, one-line help)
// drives parsing, /help and Tab completion, so they cannot drift apart.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace tacit::ui {

enum class CommandKind {
    Send,          // plain text: {target, text}
    Msg,           // {target, text}; target is "user" or "#group"
    Query,         // {target}
    Close,         // {}: closes the active conversation
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
    Quit,          // {}
    Mute,          // {target}
    Unmute,        // {target}: back to the default level
    Notify,        // {target, level}: level "all", "mentions", "none", "default" or "" to show;
                   // target "" (status window, none given) lists the levels set
};

struct Command {
    CommandKind kind = CommandKind::Send;
    std::vector<std::string> args;
};

struct CommandInfo {
    std::string_view name;   // "/msg"
    std::string_view usage;  // "/msg USER|#GROUP TEXT"
    std::string_view help;   // one line
};

const std::vector<CommandInfo>& command_table();

struct ParseResult {
    bool ok = false;
    Command command;
    std::string error;  // usage message when !ok
};

// active is the active conversation key ("alice" or "#ops"), or "" when
// there is none (the status window). Names are lower-cased and checked
// against the protocol's rule; "//text" sends the literal "/text".
ParseResult parse_command(std::string_view line, std::string_view active);

// Protocol names: 1..32 bytes of [a-z0-9_.-], starting with a letter.
bool valid_name(std::string_view name);

// Lines for /help (all commands) or /help CMD.
std::vector<std::string> help_lines(std::string_view topic = {});

}  // namespace tacit::ui
