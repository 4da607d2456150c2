// Turning client-core records into what the model shows: conversation
// keys, lines, and readable group events. No curses.
#pragma once
#include <string>

#include "tui/client/events.hpp"
#include "tui/ui/model.hpp"

namespace tacit::ui {

// "#ops" for a group message, else the other party.
std::string conversation_of(const client::ChatMessage& m, const std::string& me);

// A stored or arriving message as a line: own messages count as verified,
// membership entries (no sender) become system lines, an undecryptable
// message says why.
Line to_line(const client::ChatMessage& m);

// "added alice carol" in #ops -> "alice added carol to #ops".
std::string describe_group_event(const std::string& text, const std::string& group);

// A membership line with its mark (tacit(1), THE SCREEN): "[signed by
// ACTOR]" when it shows the actor's verified record, "[no user signature]"
// when only the server says so.
std::string group_line(const std::string& text, const std::string& group, bool user_signed);

}  // namespace tacit::ui
