package io.picrypt.face;

/** A detected face: corner box in pixels of the (EXIF-oriented) image, and the detector's confidence. */
public record FaceBox(float x1, float y1, float x2, float y2, float score) {
    public float width() { return x2 - x1; }

    public float height() { return y2 - y1; }

    public float area() { return Math.max(0f, width()) * Math.max(0f, height()); }

    /** Intersection over union, the NMS criterion. */
    public float iou(FaceBox o) {
        float w = Math.min(x2, o.x2) - Math.max(x1, o.x1);
        float h = Math.min(y2, o.y2) - Math.max(y1, o.y1);
        if (w <= 0 || h <= 0) return 0f;
        float inter = w * h;
        return inter / (area() + o.area() - inter);
    }
}
