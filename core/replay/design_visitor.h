// design_visitor.h - the one switch from a TLB configuration to a design
// type: visit_design(config, make) calls
//     make.template operator()<Design>(constructor arguments...)
// for the design `config` names, so that whatever is built per design (a
// replay engine, a translator) is a template instantiated for every design
// from this list. A new design is one case here.
#pragma once

#include <algorithm>
#include <bit>

#include "mmu/mmu.h"
#include "tlb/concurrent/multi_cpu.h"
#include "tlb/hierarchy.h"
#include "tlb/qemu/qemu_tlb.h"
#include "tlb/tlb_config.h"

namespace vm::replay {

// `cpus`: the vCPUs a concurrent design serves (its handles).
template <class Make>
auto visit_design(const tlb::tlb_config& c, unsigned cpus, Make&& make) {
  using tlb::design_kind;
  using tlb::level_geometry;
  cpus = std::max(cpus, 1u);
  switch (c.design) {
    case design_kind::kDefault: break;
    case design_kind::kQemu: {
      tlb::qemu_tlb_options o;
      o.initial_bits = static_cast<unsigned>(std::countr_zero(c.qemu_entries));
      o.resize = c.qemu_resize;
      o.window = c.qemu_window;
      return make.template operator()<tlb::qemu_tlb>(o);
    }
    case design_kind::kSharded: {
      tlb::sharded_tlb_config o;
      o.sets = c.levels[0].sets;
      o.ways = c.levels[0].ways;
      o.shards = c.shards;
      return make.template operator()<tlb::multi_cpu<tlb::sharded_tlb>>(o, cpus);
    }
    case design_kind::kLockFree: {
      tlb::lockfree_tlb_config o;
      o.sets = c.levels[0].sets;
      o.ways = c.levels[0].ways;
      return make.template operator()<tlb::multi_cpu<tlb::lockfree_tlb>>(o, cpus);
    }
    case design_kind::kPerCpu: {
      tlb::percpu_tlb_config o;
      o.l1_sets = c.levels[0].sets;
      o.l1_ways = c.levels[0].ways;
      if (c.level_count > 1) {
        o.l2_sets = c.levels[1].sets;
        o.l2_ways = c.levels[1].ways;
      }
      return make.template operator()<tlb::multi_cpu<tlb::percpu_tlb>>(o, cpus);
    }
    case design_kind::kHierarchy: {
      // Compiled-in L1 geometries: constant masks and way counts, the
      // array inside the object. Any other runs on the run-time front.
      const level_geometry l1 = c.levels[0];
      if (l1 == level_geometry{16, 4})
        return make.template operator()<tlb::hierarchy<tlb::fixed_geometry<16, 4>>>(
            tlb::fixed_geometry<16, 4>{}, tlb::make_hierarchy_parts(c));
      if (l1 == level_geometry{16384, 1})
        return make.template operator()<tlb::hierarchy<tlb::fixed_geometry<16384, 1>>>(
            tlb::fixed_geometry<16384, 1>{}, tlb::make_hierarchy_parts(c));
      return make.template operator()<tlb::hierarchy<tlb::runtime_geometry>>(
          tlb::runtime_geometry(l1.sets, l1.ways), tlb::make_hierarchy_parts(c));
    }
  }
  return make.template operator()<mmu::default_tlb>();
}

}  // namespace vm::replay
