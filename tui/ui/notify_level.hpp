// A conversation's notify level (tacit(1) /notify): what of it rings the
// bell. A direct conversation is addressed to you as a whole, so it
// defaults to all; a group defaults to mentions (your name or a highlight
// word), as irssi and WeeChat treat queries and channels.
#pragma once
#include <optional>
#include <string_view>

namespace tacit::ui {

enum class NotifyLevel { All, Mentions, None };

std::optional<NotifyLevel> parse_level(std::string_view name);  // "all", "mentions", "none"
std::string_view level_name(NotifyLevel level);
NotifyLevel default_level(std::string_view conversation);  // "#ops" -> Mentions, "bob" -> All

}  // namespace tacit::ui
