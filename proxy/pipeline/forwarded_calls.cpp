// The registry of forwarded calls without a record yet; see forwarded_calls.hpp.
#include "proxy/pipeline/forwarded_calls.hpp"

namespace dynaudit::proxy {

void ForwardedCall::enter(ForwardedCalls* registry) {
  if (!registry) return;
  std::lock_guard lock(registry->mutex_);
  registry_ = registry;
  next_ = registry->first_;
  if (next_) next_->previous_ = this;
  registry->first_ = this;
}

void ForwardedCall::settle() {
  ForwardedCalls* registry = registry_;
  if (!registry) return;
  std::lock_guard lock(registry->mutex_);
  if (!registry_) return;  // taken meanwhile
  if (previous_) previous_->next_ = next_;
  else registry->first_ = next_;
  if (next_) next_->previous_ = previous_;
  registry_ = nullptr;
  previous_ = next_ = nullptr;
}

std::vector<ForwardedCall*> ForwardedCalls::take_all() {
  std::lock_guard lock(mutex_);
  std::vector<ForwardedCall*> calls;
  for (ForwardedCall* call = first_; call; call = call->next_) calls.push_back(call);
  for (ForwardedCall* call : calls) {
    call->registry_ = nullptr;
    call->previous_ = call->next_ = nullptr;
  }
  first_ = nullptr;
  return calls;
}

}  // namespace dynaudit::proxy
