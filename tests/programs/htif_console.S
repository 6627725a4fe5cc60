# htif_console.S - bare metal: print "hello\n" through the HTIF console
# (device 1, command 1), take an ecall trap into an M-mode handler that
# checks mcause == 11 and mepc, then drop to U-mode, ecall from there
# (mcause 8) and exit with status 0 when every check held, else 1..n.
#include "htif_common.h"
  .section .text.init
  .globl _start
_start:
  la t0, trap_handler
  csrw mtvec, t0
  la s0, message
print:
  lbu a0, 0(s0)
  beqz a0, printed
  li t1, 0x0101000000000000      # device 1, command 1
  or a0, a0, t1
  la t6, tohost
  sd a0, 0(t6)
  addi s0, s0, 1
  j print
printed:
  li s1, 0                       # stage
ecall_m:
  ecall                          # trap: mcause 11
  li s1, 1
  # Enter U-mode at user_code with MPP = 0.
  li t0, 0x1800
  csrc mstatus, t0
  la t0, user_code
  csrw mepc, t0
  mret
user_code:
  ecall                          # trap: mcause 8
  li a0, 9
  HTIF_EXIT(a0)

trap_handler:
  csrr t0, mcause
  bnez s1, from_user
  li t1, 11
  bne t0, t1, fail
  csrr t0, mepc
  la t1, ecall_m
  bne t0, t1, fail
  addi t0, t0, 4
  csrw mepc, t0
  mret
from_user:
  li t1, 8
  bne t0, t1, fail
  csrr t0, mstatus               # MPP must say "came from U"
  li t1, 0x1800
  and t0, t0, t1
  bnez t0, fail
  li a0, 0
  HTIF_EXIT(a0)
fail:
  li a0, 1
  HTIF_EXIT(a0)

  .section .rodata
message: .string "hello\n"

  HTIF_SECTION
