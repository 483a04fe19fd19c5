/* SPDX-License-Identifier: MIT */
/*
** ctx_x86_64.S: the context switch, System V x86-64.
**
** void beam__ctx_switch_raw(void **save_sp, void *to_sp);
**
** Pushes the callee-saved registers (rbp rbx r12-r15) and the control
** parts of the FP state (MXCSR and the x87 control word: a process may
** change rounding modes, and they are callee-saved by the ABI) onto the
** current stack, stores the stack pointer in *save_sp, loads to_sp, pops
** the same frame and returns into the other context. Everything else is
** caller-saved, so the C caller already treats it as clobbered. No system
** call, ~11 ns (DESIGN-NOTES §1).
**
** A new context is a stack prepared by beam__ctx_make (ctx.c) whose frame
** "returns" into its entry function.
*/
        .text
        .globl  beam__ctx_switch_raw
        .hidden beam__ctx_switch_raw
        .type   beam__ctx_switch_raw, @function
        .p2align 4
beam__ctx_switch_raw:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   beam__ctx_switch_raw, .-beam__ctx_switch_raw

        .section .note.GNU-stack, "", @progbits
