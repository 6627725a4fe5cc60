/* htif_common.h - shared by the bare-metal test programs: spike's HTIF
 * tohost/fromhost words and an exit macro. */
#define HTIF_EXIT(code_reg)   \
  slli code_reg, code_reg, 1; \
  ori code_reg, code_reg, 1;  \
  la t6, tohost;              \
  sd code_reg, 0(t6);         \
1:                            \
  j 1b

/* The tohost/fromhost words, 64-byte aligned in their own section, as
 * spike's HTIF expects. */
#define HTIF_SECTION                     \
  .section .tohost, "aw", @progbits;    \
  .align 6;                              \
  .globl tohost;                         \
tohost: .dword 0;                        \
  .align 6;                              \
  .globl fromhost;                       \
fromhost: .dword 0
