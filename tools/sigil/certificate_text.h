// Certificate fields that sigil shows but libidentity's Certificate does not expose: subject
// and issuer names and the key usages. Display only; nothing here is used to decide trust.
#ifndef SIGIL_TOOLS_SIGIL_CERTIFICATE_TEXT_H_
#define SIGIL_TOOLS_SIGIL_CERTIFICATE_TEXT_H_

#include <string>
#include <vector>

#include "sigil/certificate.h"

namespace sigil::cli {

// RFC 2253 form ("CN=web,O=Example"); bytes outside ASCII are escaped. Empty for an empty
// name.
std::string SubjectName(const Certificate& cert);
std::string IssuerName(const Certificate& cert);
// keyUsage bit names in RFC 5280 spelling ("digitalSignature", "keyCertSign"); empty when the
// extension is absent.
std::vector<std::string> KeyUsageNames(const Certificate& cert);
// extendedKeyUsage purposes ("serverAuth", "clientAuth", or a dotted OID for others).
std::vector<std::string> ExtendedKeyUsageNames(const Certificate& cert);

}  // namespace sigil::cli

#endif  // SIGIL_TOOLS_SIGIL_CERTIFICATE_TEXT_H_
