// libFuzzer target for the direct-message parsers of issue 15: the enc_msg
// layout (shared/direct_message.hpp) and the client's stored ratchet
// sessions (tui/client/dm_sessions.hpp). The first byte picks the mode:
//   0: dm::Wire::decode; an accepted enc_msg re-encodes to the same bytes
//   1: DmSessions::decode; an accepted record re-encodes to the same bytes
#include <cstdlib>

#include "shared/direct_message.hpp"
#include "tui/client/dm_sessions.hpp"

using namespace tacit;

namespace {
void check(bool ok) {
    if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    ByteView in(data + 1, size - 1);
    if (data[0] % 2 == 0) {
        auto w = dm::Wire::decode(in);
        if (w) {
            check(w->encode() == Bytes(in.begin(), in.end()));
            check(ratchet::message_header(w->ratchet).has_value());
        }
    } else {
        auto s = client::DmSessions::decode(in);
        if (s) {
            check(s->list.size() <= client::kMaxSessions);
            check(s->encode().view().size() == in.size());
        }
    }
    return 0;
}
