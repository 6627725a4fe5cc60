/* vmbench workload runtime: process entry point (Linux RV64 user ABI).
 *
 * On entry the kernel (or qemu-riscv64 / our emulator) leaves:
 *   sp -> argc
 *         argv[0] .. argv[argc-1], NULL
 *         envp[0] .. envp[n-1],   NULL
 *         auxv pairs ..., AT_NULL
 * a0 may hold an rtld_fini pointer (unused for static programs).
 */
    .section .text._start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    ld      a0, 0(sp)           /* argc */
    addi    a1, sp, 8           /* argv */
    slli    t0, a0, 3
    add     a2, a1, t0
    addi    a2, a2, 8           /* envp = &argv[argc + 1] */
    la      t1, rt_environ
    sd      a2, 0(t1)
    andi    sp, sp, -16         /* ABI: 16-byte aligned stack */
    li      ra, 0               /* terminate backtraces */
    li      s0, 0
    call    main
    /* a0 = main's return value */
    li      a7, 94              /* exit_group */
    ecall
    li      a7, 93              /* exit (not reached) */
    ecall
1:  j       1b
    .size _start, . - _start
