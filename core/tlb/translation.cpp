#include "tlb/translation.h"

namespace vm::tlb {

const char* scope_name(flush_scope scope) noexcept {
  switch (scope) {
    case flush_scope::kAll: return "all";
    case flush_scope::kAsid: return "asid";
    case flush_scope::kAddress: return "address";
    case flush_scope::kAddressAsid: return "address+asid";
  }
  return "?";
}

}  // namespace vm::tlb
