package io.github.usbd4j.ce.devmgr;

/**
 * An open device: the {@code HANDLE} that {@link DeviceManager#createFile} returns. Opaque: pass it back
 * to {@code readFile}, {@code writeFile}, {@code setFilePointer}, {@code deviceIoControl} and
 * {@code closeHandle}. {@link WinBase#INVALID_HANDLE_VALUE} stands for a failed {@code CreateFile}.
 */
public interface FileHandle {}
