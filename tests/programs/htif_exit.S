# htif_exit.S - bare metal: exit through HTIF with the status in EXIT_CODE
# (1 == pass as spike reports it, i.e. status 0 for code 0).
#include "htif_common.h"
  .section .text.init
  .globl _start
_start:
  li a0, EXIT_CODE
  HTIF_EXIT(a0)

  HTIF_SECTION
