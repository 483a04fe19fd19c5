/* SPDX-License-Identifier: MIT */
/*
** ctx_aarch64.S: the context switch, AAPCS64.
**
** void beam__ctx_switch_raw(void **save_sp, void *to_sp);
**
** Saves x19-x28, the frame pointer x29, the link register x30, the low
** 64 bits of v8-v15 (d8-d15: only those are callee-saved, AAPCS64 §6.1.2)
** and FPCR (rounding mode) in a 176-byte frame on the current stack, stores
** sp in *save_sp, loads to_sp, restores the same frame and returns through
** the restored x30. x18 (platform register) is left alone.
**
** A new context's frame (ctx.c) holds its entry function in the x30 slot;
** 'ret' is not an indirect branch for BTI, so no landing pad is needed at
** the entry, but this function itself gets one when BTI is on.
*/
        .text
        .globl  beam__ctx_switch_raw
        .hidden beam__ctx_switch_raw
        .type   beam__ctx_switch_raw, %function
        .p2align 4
beam__ctx_switch_raw:
#if defined(__ARM_FEATURE_BTI_DEFAULT)
        bti     c
#endif
        sub     sp, sp, #176
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        stp     d8,  d9,  [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mrs     x9, fpcr
        str     x9, [sp, #160]
        mov     x9, sp
        str     x9, [x0]
        mov     sp, x1
        ldr     x9, [sp, #160]
        msr     fpcr, x9
        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8,  d9,  [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        add     sp, sp, #176
        ret
        .size   beam__ctx_switch_raw, .-beam__ctx_switch_raw

#if defined(__ARM_FEATURE_BTI_DEFAULT) || defined(__ARM_FEATURE_PAC_DEFAULT)
        .pushsection .note.gnu.property, "a"
        .p2align 3
        .word   4
        .word   16
        .word   5
        .asciz  "GNU"
        .word   0xc0000000
        .word   4
        .word   3
        .word   0
        .popsection
#endif
        .section .note.GNU-stack, "", %progbits
