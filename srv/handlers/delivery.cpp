#include "srv/handlers/delivery.hpp"

#include <algorithm>
#include <fmt/core.h>

#include "shared/messages.hpp"
#include "shared/names.hpp"

namespace tacit::srv {

void notify_deliveries(Presence& presence, const std::vector<store::Delivery>& ds, bool group_event) {
    for (const auto& d : ds) {
        if (group_event) presence.notify_user(d.user, proto::NOTIFY_GROUP, 0);
        if (d.stored)
            presence.notify_user(d.user, proto::NOTIFY_MAIL, uint32_t(std::min<uint64_t>(d.count, UINT32_MAX)));
        else
            fmt::print(stderr, "tacitd: system entry for user={} skipped: mailbox far past its cap\n", d.user);
    }
}

bool group_change_allowed(Ctx& ctx) {
    return ctx.limits().admit(Limit::GroupChange, "actor:" + ctx.user());
}

std::string bad_name(std::string_view what, std::string_view name) {
    if (valid_name(name)) return {};
    return "invalid " + std::string(what) + ": " + name_problem(name);
}

}  // namespace tacit::srv
