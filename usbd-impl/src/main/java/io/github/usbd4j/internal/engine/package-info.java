/**
 * The transfer engine every personality runs on (not API): devices, pipes, the one transfer lifecycle
 * ({@link io.github.usbd4j.internal.engine.Transfer}), cancellation and detach, and the CE and desktop
 * start-frame rules side by side ({@link io.github.usbd4j.internal.engine.StartFramePolicy}). It knows no
 * personality: results stay in neutral terms, and each personality translates them.
 */
package io.github.usbd4j.internal.engine;
