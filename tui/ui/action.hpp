// /me: an action ("* alice waves") travels as an ordinary message body in
// IRC's CTCP ACTION form, 0x01 "ACTION " text 0x01 (tacit-protocol(7),
// END-TO-END PAYLOAD): the payload has no kind field, and a control byte
// cannot be typed, so no plain message is ever read as an action.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace tacit::ui {

std::string action_body(std::string_view text);
// The action's text when body is one, else nullopt.
std::optional<std::string_view> action_text(std::string_view body);

}  // namespace tacit::ui
