package io.picrypt.face;

/** One face of an image: its detector box and its 68 landmarks. */
public record DetectedFace(FaceBox box, Landmarks landmarks) {}
