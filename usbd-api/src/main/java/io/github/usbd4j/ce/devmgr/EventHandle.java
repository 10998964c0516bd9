package io.github.usbd4j.ce.devmgr;

/**
 * An event object: the {@code HANDLE} that {@link DeviceManager#createEvent} returns. Opaque: pass it to
 * {@code setEvent}, {@code resetEvent} and {@code waitForSingleObject}. It needs no {@code CloseHandle}: it
 * goes with its last reference.
 */
public interface EventHandle {}
