// The agent's state on disk, so that a restart resumes without attesting again (a join token
// works once): the agent SVID chain, its private key and the trust domain's bundle, in the
// data directory.
//
//   <data_dir>/            0700
//     agent_svid.pem       agent SVID chain, leaf first (PEM)
//     agent_svid.key       its PKCS#8 private key (PEM), 0600
//     bundle.json          the trust domain's SPIFFE bundle, 0600
//
// Every file is written to a temporary name, flushed to disk and renamed over the old one, so
// a crash leaves either the old or the new file, never half of one. The SVID and key are two
// files; the key is written first and the SVID second, and Load refuses a key that does not
// match the SVID, so a crash between the two renames is noticed (the agent then attests again,
// which an x509pop agent can and a join_token agent reports clearly).
#ifndef SIGIL_AGENT_MANAGER_AGENT_STORE_H_
#define SIGIL_AGENT_MANAGER_AGENT_STORE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"

#include "sigil/bundle.h"
#include "sigil/spiffe_id.h"
#include "sigil/x509_svid.h"

namespace sigil::agent {

class AgentStore {
 public:
  // Creates `data_dir` (and parents) if missing and sets it to mode 0700. Fails with
  // kFailedPrecondition naming the directory and cause.
  static absl::StatusOr<AgentStore> Open(std::string data_dir);

  // The stored agent SVID, nullopt when none was stored. Fails with kDataLoss naming the file
  // when the files exist but cannot be read back (corrupt, or key and SVID do not match).
  absl::StatusOr<std::optional<X509Svid>> LoadSvid() const;
  // The stored bundle of `td`, nullopt when none was stored; kDataLoss when unreadable.
  absl::StatusOr<std::optional<TrustBundle>> LoadBundle(const TrustDomain& td) const;

  absl::Status SaveSvid(const X509Svid& svid) const;
  absl::Status SaveBundle(const TrustBundle& bundle) const;
  // Removes the stored SVID and key (after the server evicted the agent).
  absl::Status ForgetSvid() const;

  const std::string& data_dir() const { return data_dir_; }

 private:
  explicit AgentStore(std::string data_dir) : data_dir_(std::move(data_dir)) {}
  std::string PathOf(std::string_view name) const;

  std::string data_dir_;
};

// Writes `contents` to `path` atomically with permission bits `mode` (temporary file in the
// same directory, fsync, rename, fsync of the directory). Fails with kFailedPrecondition naming
// the path and cause.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode);

// Reads a whole file of at most `max_size` bytes. kNotFound when it does not exist,
// kFailedPrecondition when it cannot be read or is larger.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_size);

}  // namespace sigil::agent

#endif  // SIGIL_AGENT_MANAGER_AGENT_STORE_H_
