// The one handler table: which message runs where. Anything absent, or sent
// in a state not listed, is denied (deny by default).
#include "srv/handler.hpp"

namespace tacit::srv {

namespace {
constexpr uint8_t ANY = ST_OPEN | ST_LOGGED_IN;
const HandlerEntry kTable[] = {
    {proto::PING, "PING", ANY, false, handle_ping},
    {proto::REGISTER, "REGISTER", ST_OPEN, true, handle_register},
    {proto::LOGIN1, "LOGIN1", ST_OPEN, true, handle_login1},
    {proto::LOGIN2, "LOGIN2", ST_OPEN, true, handle_login2},
    {proto::RENEW1, "RENEW1", ST_LOGGED_IN, false, handle_renew1},
    {proto::RENEW2, "RENEW2", ST_LOGGED_IN, false, handle_renew2},
    {proto::RENEW3, "RENEW3", ST_LOGGED_IN, true, handle_renew3},
    {proto::LOGOUT, "LOGOUT", ST_LOGGED_IN, true, handle_logout},
    {proto::ONLINE, "ONLINE", ST_LOGGED_IN, true, handle_online},
    {proto::MSG1, "MSG1", ST_LOGGED_IN, true, handle_msg1},
    {proto::MSG2, "MSG2", ST_LOGGED_IN, true, handle_msg2},
    {proto::UPDATE1, "UPDATE1", ST_LOGGED_IN, false, handle_update1},
    {proto::UPDATE2, "UPDATE2", ST_LOGGED_IN, false, handle_update2},
    {proto::GROUP_CREATE, "GROUP_CREATE", ST_LOGGED_IN, true, handle_group_create},
    {proto::GROUP_ADD, "GROUP_ADD", ST_LOGGED_IN, true, handle_group_add},
    {proto::GROUP_REMOVE, "GROUP_REMOVE", ST_LOGGED_IN, true, handle_group_remove},
    {proto::GROUP_MSG1, "GROUP_MSG1", ST_LOGGED_IN, true, handle_group_msg1},
    {proto::GROUP_MSG2, "GROUP_MSG2", ST_LOGGED_IN, true, handle_group_msg2},
    {proto::GROUP_MSG2_BATCH, "GROUP_MSG2_BATCH", ST_LOGGED_IN, true, handle_group_msg2_batch},
    {proto::GROUP_FETCH, "GROUP_FETCH", ST_LOGGED_IN, true, handle_group_fetch},
    {proto::GROUP_LIST, "GROUP_LIST", ST_LOGGED_IN, true, handle_group_list},
    {proto::PREKEY_UPLOAD, "PREKEY_UPLOAD", ST_LOGGED_IN, true, handle_prekey_upload},
    {proto::PREKEY_FETCH, "PREKEY_FETCH", ST_LOGGED_IN, true, handle_prekey_fetch},
};
}  // namespace

const HandlerEntry* find_handler(uint8_t type) {
    for (auto& e : kTable)
        if (e.type == type) return &e;
    return nullptr;
}

const HandlerEntry* find_handler(std::string_view name) {
    for (auto& e : kTable)
        if (e.name == name) return &e;
    return nullptr;
}

}  // namespace tacit::srv
