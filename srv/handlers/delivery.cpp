#include "srv/handlers/delivery.hpp"

#include <algorithm>
#include <fmt/core.h>

#include "shared/messages.hpp"
#include "shared/names.hpp"

namespace tacit::srv {

void notify_deliveries(Presence& presence, const std::vector<store::Delivery>& ds) {
    for (const auto& d : ds)
        presence.notify_user(d.user, proto::NOTIFY_MAIL, uint32_t(std::min<uint64_t>(d.count, UINT32_MAX)));
}

void notify_group(Presence& presence, const store::Changed& c, const std::string& group) {
    const auto epoch = uint32_t(std::min<uint64_t>(c.epoch, UINT32_MAX));
    for (const auto& u : c.told) presence.notify_user(u, proto::NOTIFY_GROUP_RECORDS, epoch, group);
}

bool group_change_allowed(Ctx& ctx) {
    return ctx.limits().admit(Limit::GroupChange, "actor:" + ctx.user());
}

std::string bad_name(std::string_view what, std::string_view name) {
    if (valid_name(name)) return {};
    return "invalid " + std::string(what) + ": " + name_problem(name);
}

}  // namespace tacit::srv
