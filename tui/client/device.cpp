#include "tui/client/device.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "shared/crypto.hpp"
#include "shared/wire.hpp"
#include "tui/client/replace_file.hpp"

namespace tacit::client {

namespace {

constexpr std::string_view kMagic = "tacit-device-v1";

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string machine_id() {
    for (const char* f : {"/etc/machine-id", "/var/lib/dbus/machine-id"})
        if (auto id = first_line(f); !id.empty()) return id;
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) throw std::runtime_error("cannot read the host name");
    return host;
}

std::string binding_of(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
        throw std::runtime_error("cannot stat " + dir + ": " + std::strerror(errno));
    Writer w;
    w.str("tacit v2 device").str(machine_id()).u64(uint64_t(st.st_ino));
    auto d = crypto::sha256(w.bytes());
    return to_hex(ByteView(d.data(), 16));
}

void write_device(const std::string& path, const std::string& binding) {
    Array<16> id;
    crypto::random_bytes(id.data(), id.size());
    const std::string text = std::string(kMagic) + " " + to_hex(id) + " " + binding + "\n";
    replace_file(path, as_bytes(text), 0600);
}

}  // namespace

DeviceCheck check_device(const std::string& dir, bool adopt) {
    const std::string path = dir + "/device";
    const std::string here = binding_of(dir);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) throw std::runtime_error("cannot stat " + path + ": " + std::strerror(errno));
        write_device(path, here);
        return DeviceCheck::Created;
    }
    std::istringstream line(first_line(path));
    std::string magic, id, binding;
    line >> magic >> id >> binding;
    if (!S_ISREG(st.st_mode) || magic != kMagic || id.size() != 32 || binding.size() != 32)
        throw std::runtime_error(path + " is not a tacit device file");
    if (binding == here) return DeviceCheck::Here;
    if (!adopt) return DeviceCheck::Copied;
    write_device(path, here);
    return DeviceCheck::Adopted;
}

std::string copied_device_message(const std::string& dir) {
    return "this account directory (" + dir +
           ") is a copy from another host or another place: two copies of an account would fork its "
           "encryption sessions, so it is refused. Use the account where it was, or, if that copy will "
           "never run again, start tacit once with --adopt to make this copy the account's";
}

}  // namespace tacit::client
