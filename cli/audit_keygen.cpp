// Checkpoint key files: the key pair comes from the store's own helper; this
// file writes it. The private key file is created with mode 0600 (never
// readable by others, not even for a moment) and never silently replaced.
#include "cli/audit_keygen.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/checkpoint_keys.hpp"
#include "storage/checkpoint_signing.hpp"

namespace dynaudit::cli {
namespace {

bool write_file(const std::string& path, const std::string& text, mode_t mode, bool overwrite, std::string& error) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    error = "cannot create " + path + ": " + std::strerror(errno) +
            (errno == EEXIST ? " (pass --force to replace it)" : "");
    return false;
  }
  // O_CREAT's mode does not apply to a file that already existed.
  if (::fchmod(fd, mode) != 0) {
    error = "cannot chmod " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = "cannot write " + path + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

bool generate_checkpoint_keys(const std::string& private_key_file, const std::string& public_key_file,
                              bool overwrite, std::string& error) {
  if (private_key_file == public_key_file) {
    error = "the private and public key files must differ";
    return false;
  }
  // The store makes and reads these keys; using its helpers keeps one
  // definition of the key format.
  auto pair = storage::generate_checkpoint_key_pair(error);
  if (!pair) return false;
  if (!write_file(private_key_file, pair->private_pem, 0600, overwrite, error)) return false;
  if (!write_file(public_key_file, pair->public_pem, 0644, overwrite, error)) {
    // Half a pair is worse than none: the operator would deploy a key
    // nobody can verify.
    ::unlink(private_key_file.c_str());
    return false;
  }
  return true;
}

bool check_public_key_file(const std::string& public_key_file, std::string& error) {
  std::string why;
  if (storage::load_public_key_file(public_key_file, why)) return true;
  error = "--public-key " + public_key_file + ": " + why;
  return false;
}

}  // namespace dynaudit::cli
