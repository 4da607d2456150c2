// A raw client's side of a direct-message session (tacit-protocol(7),
// DIRECT MESSAGES): PREKEY_FETCH and X3DH as initiator, then ratchet
// messages it can tamper with, sign with the wrong key or misaddress.
#pragma once
#include <optional>
#include <string>

#include "shared/direct_message.hpp"
#include "tests/integration/raw_client.hpp"
#include "tui/client/e2e.hpp"

namespace tacit::test {

class RawDm {
public:
    // Fetches to's prekey bundle over r (logged in as r.user) and runs
    // X3DH against to's bundle as r knows it (REQUIREs both succeed).
    RawDm(RawClient& r, const std::string& to, const UserBundle& to_bundle);
    // enc_msg of the next message on the session: the formatted_message
    // claims claimed_from and is signed by signer. Always carries the
    // X3DH header (a raw client reads no replies).
    Bytes seal(const UserIdentity& signer, const std::string& claimed_from, const std::string& body,
               const Array<16>& msg_id, uint64_t sent_at_ms);
    // The same, signed by r's identity, as r.
    Bytes seal(const std::string& body);
    // A group message's copy for `to` (GROUP MESSAGES): r's one group
    // signature, with the stamp the caller chooses.
    Bytes seal_group(const std::string& g, const msg::GroupStamp& stamp, const std::string& body,
                     const Array<16>& msg_id);

    ratchet::Session& session() { return *session_; }
    const x3dh::InitHeader& init() const { return init_; }

private:
    Bytes wire(const Secret& plaintext);  // sealed on the session, init header on
    RawClient& r_;
    std::string to_;
    x3dh::InitHeader init_;
    std::optional<ratchet::Session> session_;
};

}  // namespace tacit::test
