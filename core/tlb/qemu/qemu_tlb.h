// qemu_tlb.h - the QEMU-style reference design: QEMU softmmu's TLB
// (accel/tcg/cputlb.c) for one vCPU and one MMU mode, so that every report
// shows our designs against the TLB that QEMU users live with.
//
// What it models, after cputlb.c:
//   - the fast table: a direct-mapped array indexed by the page number's low
//     bits (tlb_index(), no hashing). It is a tlb_front with one way and no
//     index folding, so the hit path is the same inline front lookup every
//     design has. A shadow `translation` per slot plays QEMU's fulltlb[]:
//     the front holds only tags and the addend.
//   - the victim TLB: CPU_VTLB_SIZE = 8 fully associative entries, filled
//     round-robin (vindex++ % 8) with the live entry of another page that a
//     fill evicts from the fast table (tlb_set_page_full), searched when the
//     fast table misses (victim_tlb_hit, here refill()); a victim hit swaps
//     the victim entry with the fast-table slot.
//   - dynamic resizing (tlb_mmu_resize_locked): the table holds 2^min_bits
//     to 2^max_bits entries; QEMU's use-rate rule keeps the largest number of
//     live entries seen in a window between 30 % and 70 % of the size.
//   - large pages (tlb_add_large_page): the front holds 4 KiB fragments of a
//     2 MiB or 1 GiB translation; the design remembers one region covering
//     every large page filled since the last full flush, and a by-address
//     flush inside that region flushes everything.
//   - no ASID tags: QEMU's riscv target flushes on satp writes, so a flush by
//     ASID and a context change flush everything.
//
// Deviations from QEMU, and why:
//   1. The resize window is virtual time, not host time. QEMU's window is
//      100 ms of host wall-clock time (window_len_ms in
//      tlb_mmu_resize_locked); a report must be identical on every machine,
//      so ours is `window` TLB lookups (miss_context::now). The default,
//      2^20 lookups, is 100 ms of guest memory accesses at ~10 M accesses/s.
//      That is the slow end of TCG (a fast TCG guest does closer to 10^8
//      inline TLB lookups per second), so our window is, if anything, shorter
//      than QEMU's and reacts sooner; it also lets every trace of the corpus
//      (9 M to 140 M records) span several windows.
//   2. QEMU resizes only inside a full flush (tlb_flush_one_mmuidx_locked):
//      a guest that never flushes keeps its table size forever. Replayed
//      traces contain no flushes, so this design also applies the same rule
//      when a window has expired, checked on the miss path (refill, insert;
//      never on the hit path). A resize there reallocates the table and so
//      empties it, fast table and victim TLB, exactly as the flush that
//      would have carried it in QEMU would have. On a real guest, where
//      flushes are frequent, the two differ only in when the rule runs.
//   3. n_used_entries counts live fast-table slots exactly: +1 when a fill
//      or a victim swap takes an empty slot, -1 when a by-address flush
//      empties one. QEMU's count drifts: it increments when a page is
//      refilled in place and decrements for victim entries flushed by
//      address (tlb_flush_vtlb_page_mask_locked), which were never counted.
//   4. A by-address sfence.vma removes that 4 KiB page (QEMU's generic
//      tlb_flush_page path, as x86 invlpg uses it); QEMU's riscv target
//      currently flushes everything on every sfence.vma whatever its
//      operands. The ASID of a by-address+ASID flush is ignored (the page is
//      dropped in every address space: more than asked, which is allowed).
//   5. One table: QEMU keeps one per MMU mode (U, S, M) and switches between
//      them on a privilege change; the design contract (tlb_design.h) flushes
//      on privilege changes instead.
//   6. flush() is given no clock: it judges the window by the latest time
//      seen on the miss path (and publishes that time). Since every miss
//      checks the window first, an expired window has normally been dealt
//      with before a flush can see it.
//   7. A host allocation failure while resizing terminates (the core is
//      noexcept); QEMU retries smaller sizes and aborts at the smallest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/result.h"
#include "tlb/tlb_design.h"
#include "tlb/tlb_entry.h"
#include "tlb/tlb_events.h"
#include "tlb/tlb_set_assoc.h"
#include "tlb/translation.h"

namespace vm::tlb {

struct qemu_tlb_options {
  unsigned initial_bits = 8;  // CPU_TLB_DYN_DEFAULT_BITS
  unsigned min_bits = 6;      // CPU_TLB_DYN_MIN_BITS
  unsigned max_bits = 22;     // CPU_TLB_DYN_MAX_BITS on 64-bit hosts
  bool resize = true;         // false: the table stays at 2^initial_bits
  // The resize window in TLB lookups (deviation 1 above).
  uint64_t window = uint64_t{1} << 20;
};

class qemu_tlb {
 public:
  static constexpr unsigned kVictimEntries = 8;  // CPU_VTLB_SIZE
  static constexpr unsigned kMaxBits = 22;       // the largest table QEMU allocates
  // QEMU's use-rate band, in percent of the table's entries.
  static constexpr uint64_t kGrowAbovePercent = 70;
  static constexpr uint64_t kShrinkBelowPercent = 30;

  // Ok when min_bits <= initial_bits <= max_bits <= kMaxBits and window >= 1;
  // otherwise kInvalidArgument naming the bad field and the accepted form.
  static error check(const qemu_tlb_options& options);
  // check(), then the design.
  static result<qemu_tlb> create(const qemu_tlb_options& options);
  // Requires check(options) to pass.
  explicit qemu_tlb(const qemu_tlb_options& options = {});

  qemu_tlb(qemu_tlb&&) noexcept = default;
  qemu_tlb& operator=(qemu_tlb&&) noexcept = default;

  // The hit path: the fast table's lookup, inline; no counting, no writes.
  template <access_type Type>
  [[gnu::always_inline]] const tlb_entry* find(uint64_t page, uint64_t key) const noexcept {
    return front_.template find<Type>(page, key);
  }

  // The fast table missed for vaddr: search the victim TLB (victim_tlb_hit).
  // On a hit for `type`, swaps the victim entry with vaddr's fast-table slot
  // and returns the front entry. First ends the resize window if it has
  // expired (which may resize and so empty the table).
  const tlb_entry* refill(uint64_t vaddr, access_type type, const miss_context& ctx) noexcept;
  // After a walk of vaddr (inside t): fills vaddr's 4 KiB page from t
  // (tlb_set_page_full): drops any victim copy of the page, moves the live
  // entry of another page in the slot to the victim TLB, and records a
  // large page's region. Ends an expired window first, as refill does.
  void insert(const translation& t, uint64_t vaddr, const miss_context& ctx) noexcept;
  // kAll, kAsid: a full flush (with QEMU's resize rule first). kAddress,
  // kAddressAsid: the page from the table and the victim TLB, or a full
  // flush when vaddr lies in the large-page region.
  void flush(const flush_request& request) noexcept;
  // A new ASID: everything is flushed (QEMU has no ASID tags), counted as a
  // full flush and published as flush_request::all().
  void change_context() noexcept;
  // One CPU's TLB (QEMU's is per vCPU): ignored.
  void select_cpu(unsigned cpu) noexcept { (void)cpu; }
  // "tlb.victim.hits", "tlb.victim.misses", "tlb.qemu.resizes",
  // "tlb.qemu.entries", "tlb.qemu.max_entries", "tlb.qemu.flushes_full".
  void append_counters(counter_list& out) const;
  tlb_event_source& events() noexcept { return events_; }

  // Inspection, for tests and reports.
  size_t entries() const noexcept { return front_.size(); }
  size_t used_entries() const noexcept { return used_entries_; }
  const qemu_tlb_options& options() const noexcept { return options_; }
  const tlb_front<runtime_geometry>& front() const noexcept { return front_; }
  // Whether the victim TLB holds 4 KiB page `page` (page-aligned).
  bool victim_holds(uint64_t page) const noexcept;

 private:
  struct victim_entry {
    uint64_t page = kInvalidTag;  // the 4 KiB page; kInvalidTag: empty
    translation t;                // what it is a fragment of
  };

  void reallocate(size_t entries);
  void advance_time(uint64_t now) noexcept;
  // Applies tlb_mmu_resize_locked's rule at virtual time now_; true when the
  // table was reallocated (and is therefore empty).
  bool apply_resize_rule(bool window_expired) noexcept;
  void full_flush() noexcept;
  void clear_all() noexcept;
  void flush_page(uint64_t page) noexcept;
  void flush_victim_page(uint64_t page) noexcept;
  void add_large_page(uint64_t vpage, uint64_t bytes) noexcept;
  const tlb_entry* front_entry(uint64_t page, access_type type) const noexcept;

  tlb_front<runtime_geometry> front_;
  std::unique_ptr<translation[]> shadow_;  // per slot; meaningful while the slot is live
  std::array<victim_entry, kVictimEntries> victims_{};
  unsigned victim_next_ = 0;  // QEMU's vindex, modulo kVictimEntries

  qemu_tlb_options options_;
  uint64_t now_ = 0;  // the latest virtual time seen on the miss path
  uint64_t used_entries_ = 0;
  uint64_t window_begin_ = 0;
  uint64_t window_max_entries_ = 0;
  // The region covering every large page since the last full flush;
  // ~0 / ~0 when none (no page-aligned address matches).
  uint64_t large_page_addr_ = ~uint64_t{0};
  uint64_t large_page_mask_ = ~uint64_t{0};

  uint64_t victim_hits_ = 0;
  uint64_t victim_misses_ = 0;
  uint64_t resizes_ = 0;
  uint64_t max_entries_ = 0;
  uint64_t flushes_full_ = 0;
  tlb_event_source events_;
};

static_assert(tlb_design<qemu_tlb>);

}  // namespace vm::tlb
