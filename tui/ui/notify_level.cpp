#include "tui/ui/notify_level.hpp"

namespace tacit::ui {

std::optional<NotifyLevel> parse_level(std::string_view name) {
    if (name == "all") return NotifyLevel::All;
    if (name == "mentions") return NotifyLevel::Mentions;
    if (name == "none") return NotifyLevel::None;
    return std::nullopt;
}

std::string_view level_name(NotifyLevel level) {
    switch (level) {
        case NotifyLevel::All: return "all";
        case NotifyLevel::Mentions: return "mentions";
        case NotifyLevel::None: break;
    }
    return "none";
}

NotifyLevel default_level(std::string_view conversation) {
    return !conversation.empty() && conversation[0] == '#' ? NotifyLevel::Mentions : NotifyLevel::All;
}

}  // namespace tacit::ui
