#include "tui/ui/action.hpp"

namespace tacit::ui {

namespace {
constexpr std::string_view kOpen = "\x01" "ACTION ";
constexpr char kClose = '\x01';
}  // namespace

std::string action_body(std::string_view text) { return std::string(kOpen) + std::string(text) + kClose; }

std::optional<std::string_view> action_text(std::string_view body) {
    if (body.size() < kOpen.size() + 1 || body.substr(0, kOpen.size()) != kOpen || body.back() != kClose)
        return std::nullopt;
    return body.substr(kOpen.size(), body.size() - kOpen.size() - 1);
}

}  // namespace tacit::ui
