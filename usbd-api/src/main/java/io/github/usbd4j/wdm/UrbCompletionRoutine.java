package io.github.usbd4j.wdm;

/** The IRP completion routine of a submitted URB ({@code IoSetCompletionRoutine}): runs once per submission. */
@FunctionalInterface
public interface UrbCompletionRoutine {

    /**
     * The URB completed; its {@code Hdr.Status}, packet descriptors and counts are final.
     *
     * @param urb the URB
     * @param ntStatus the IRP's status: {@code STATUS_SUCCESS}, {@code STATUS_CANCELLED}, or
     *     {@code STATUS_UNSUCCESSFUL} when {@code Hdr.Status} is an error
     * @param context the context given at submission
     */
    void completed(Urb urb, int ntStatus, Object context);
}
