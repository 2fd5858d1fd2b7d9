"""Static facts about the supported datasets (no I/O, no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    """What a model needs to know about a dataset before any file is read.

    ``sensor_size`` is ``(W, H, P)`` in tonic's convention: the event canvas the
    loader frames from (for N-Caltech101, whose recordings vary in size, the
    240×180 canvas that holds every recording).
    """

    name: str
    num_classes: int
    sensor_size: tuple[int, int, int]
    default_img_size: int
    class_names: tuple[str, ...]


DVS128_GESTURE_CLASSES = (
    "hand clapping", "right hand wave", "left hand wave", "right arm clockwise",
    "right arm counter-clockwise", "left arm clockwise", "left arm counter-clockwise",
    "arm roll", "air drums", "air guitar", "other gestures",
)

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)

# N-Caltech101's 101 folders (Caltech101 without "Faces"), in Python's sorted() order,
# which is the order the label indices follow.
NCALTECH101_CLASSES = (
    "BACKGROUND_Google", "Faces_easy", "Leopards", "Motorbikes", "accordion", "airplanes",
    "anchor", "ant", "barrel", "bass", "beaver", "binocular", "bonsai", "brain", "brontosaurus",
    "buddha", "butterfly", "camera", "cannon", "car_side", "ceiling_fan", "cellphone", "chair",
    "chandelier", "cougar_body", "cougar_face", "crab", "crayfish", "crocodile", "crocodile_head",
    "cup", "dalmatian", "dollar_bill", "dolphin", "dragonfly", "electric_guitar", "elephant",
    "emu", "euphonium", "ewer", "ferry", "flamingo", "flamingo_head", "garfield", "gerenuk",
    "gramophone", "grand_piano", "hawksbill", "headphone", "hedgehog", "helicopter", "ibis",
    "inline_skate", "joshua_tree", "kangaroo", "ketch", "lamp", "laptop", "llama", "lobster",
    "lotus", "mandolin", "mayfly", "menorah", "metronome", "minaret", "nautilus", "octopus",
    "okapi", "pagoda", "panda", "pigeon", "pizza", "platypus", "pyramid", "revolver", "rhino",
    "rooster", "saxophone", "schooner", "scissors", "scorpion", "sea_horse", "snoopy",
    "soccer_ball", "stapler", "starfish", "stegosaurus", "stop_sign", "strawberry", "sunflower",
    "tick", "trilobite", "umbrella", "watch", "water_lilly", "wheelchair", "wild_cat",
    "windsor_chair", "wrench", "yin_yang",
)

DIGITS_CLASSES = tuple(str(d) for d in range(10))

DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("dvs128-gesture", 11, (128, 128, 2), 128, DVS128_GESTURE_CLASSES),
        DatasetInfo("cifar10-dvs", 10, (128, 128, 2), 128, CIFAR10_CLASSES),
        DatasetInfo("n-caltech101", 101, (240, 180, 2), 128, NCALTECH101_CLASSES),
        DatasetInfo("digits-dvs", 10, (64, 64, 2), 64, DIGITS_CLASSES),
    )
}

SPLITS = ("train", "test")


def get_info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` for ``name``; ``ValueError`` listing the valid names."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}") from None


def check_split(split: str) -> str:
    """Return ``split`` if valid; ``ValueError`` listing the valid splits otherwise."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; valid splits: {', '.join(SPLITS)}")
    return split
