#include "srv/handlers/group_records.hpp"

namespace tacit::srv {

std::optional<group::Record> request_record(ByteView blob, const std::string& group, const std::string& actor,
                                            const std::string& subject, std::string* why) {
    auto r = group::Record::decode(blob);
    if (!r) {
        *why = "malformed group record";
        return std::nullopt;
    }
    if (r->group != group || r->actor != actor || r->subject != subject) {
        *why = "the group record is about another change than the request";
        return std::nullopt;
    }
    return r;
}

}  // namespace tacit::srv
