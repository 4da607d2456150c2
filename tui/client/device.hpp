// Which copy of an account directory this is (tacit(1) FILES, "device").
// Terminals and bots of one account on one host share its directory
// safely: they step the ratchet state in one store transaction at a time
// (local_store.hpp). A copy of the directory running elsewhere shares
// nothing with it: both copies would step the same ratchets apart and seal
// different messages under the same keys, and each would drop the other's
// replies as duplicates or fail to open them. So the directory records
// the host and the place it belongs to, and a copy is refused until the
// user says this copy is the one that goes on (--adopt).
//
//   DIR/device   "tacit-device-v1 " hex(id[16]) " " hex(binding[16]) "\n", mode 0600
//     id       random, new for every adopted copy
//     binding  the first 16 bytes of SHA-256(str "tacit v2 device" |
//              str machine id | u64 inode of DIR): the machine id is
//              /etc/machine-id (else /var/lib/dbus/machine-id, else the
//              host name), and a copy on the same host is another inode.
#pragma once
#include <string>

namespace tacit::client {

enum class DeviceCheck {
    Here,     // the directory belongs to this host and place
    Created,  // it had no device file (a new account, or an older client's): now it does
    Adopted,  // a copy, rebound here on request, with a new id
    Copied,   // a copy: refused
};

// Checks dir's device file, creating it when missing; with adopt, a
// copy's is rewritten to belong here. Throws std::runtime_error when the
// file can't be read or written, or is not a device file.
DeviceCheck check_device(const std::string& dir, bool adopt);

// What to tell the user about a refused copy of dir.
std::string copied_device_message(const std::string& dir);

}  // namespace tacit::client
