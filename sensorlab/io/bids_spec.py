"""What the Motion-BIDS specification requires of the files sensorlab writes.

Encoded from the BIDS specification, version :data:`BIDS_VERSION` (its schema:
``rules.sidecars.motion``, ``rules.tabular_data.motion`` / ``events`` /
``modality_agnostic``, ``rules.json.dataset``, ``objects.columns``; the text of
"Modality specific files: Motion"). Requirement levels are the specification's words:
``required`` (MUST), ``recommended`` (SHOULD), ``optional`` (MAY). The exporter
(:mod:`sensorlab.io.bids`) writes every required and recommended entry; the tests check
the written files against these tables, and the tables against the schema package
``bidsschematools`` when it is installed.
"""

from __future__ import annotations

BIDS_VERSION = "1.11.2"
"""The specification version these tables follow (written as ``BIDSVersion``)."""

MOTION_SIDECAR_FIELDS: dict[str, str] = {
    # Task information
    "TaskName": "required",
    "TaskDescription": "recommended",
    "Instructions": "recommended",
    # Hardware information
    "DeviceSerialNumber": "recommended",
    "Manufacturer": "recommended",
    "ManufacturersModelName": "recommended",
    "SoftwareVersions": "recommended",
    # Institution information
    "InstitutionName": "recommended",
    "InstitutionAddress": "recommended",
    "InstitutionalDepartmentName": "recommended",
    # Motion specific fields: MUST
    "SamplingFrequency": "required",
    # Motion specific fields: SHOULD
    "ACCELChannelCount": "recommended",
    "ANGACCELChannelCount": "recommended",
    "GYROChannelCount": "recommended",
    "JNTANGChannelCount": "recommended",
    "LATENCYChannelCount": "recommended",
    "MAGNChannelCount": "recommended",
    "MiscChannelCount": "recommended",
    "MissingValues": "recommended",
    "MotionChannelCount": "recommended",
    "ORNTChannelCount": "recommended",
    "POSChannelCount": "recommended",
    "SamplingFrequencyEffective": "recommended",
    "SubjectArtefactDescription": "recommended",
    "TrackedPointsCount": "recommended",
    "VELChannelCount": "recommended",
    "TrackingSystemName": "optional",
}
"""``*_tracksys-<label>_motion.json``."""

CHANNELS_COLUMNS: dict[str, str] = {
    "name": "required",
    "component": "required",
    "type": "required",
    "tracked_point": "required",
    "units": "required",
    "placement": "recommended",
    "reference_frame": "recommended",
    "description": "optional",
    "sampling_frequency": "optional",
    "status": "optional",
    "status_description": "optional",
}
"""``*_tracksys-<label>_channels.tsv``; the first five, in this order, come first."""

CHANNEL_TYPES = frozenset(
    {"ACCEL", "ANGACCEL", "GYRO", "JNTANG", "LATENCY", "MAGN", "MISC", "ORNT", "POS", "VEL"}
)
"""The motion channel types (upper case is required)."""

COMPONENTS = frozenset({"x", "y", "z", "quat_x", "quat_y", "quat_z", "quat_w", "n/a"})
"""The allowed values of the ``component`` column."""

AXIS_TYPES = frozenset({"ACCEL", "ANGACCEL", "GYRO", "MAGN", "POS", "VEL"})
"""Channel types whose ``component`` must be an axis (x, y or z)."""

REFERENCE_FRAME_KEYS = {
    "RotationOrder": "recommended",
    "RotationRule": "recommended",
    "SpatialAxes": "recommended",
    "Description": "optional",
}
"""Keys of a ``reference_frame`` level in ``*_channels.json``."""

SPATIAL_AXIS_LETTERS = frozenset("APLRSI_")

EVENTS_COLUMNS: dict[str, str] = {
    "onset": "required",
    "duration": "required",
    "trial_type": "optional",
    "response_time": "optional",
    "HED": "optional",
    "stim_file": "optional",
    "channel": "optional",
}
"""``*_events.tsv``: ``onset`` and ``duration`` first; other columns are allowed."""

DATASET_DESCRIPTION_FIELDS: dict[str, str] = {
    "Name": "required",
    "BIDSVersion": "required",
    "HEDVersion": "recommended",
    "DatasetLinks": "optional",
    "DatasetType": "recommended",
    "License": "recommended",
    "Authors": "optional",
    "Keywords": "optional",
    "Acknowledgements": "optional",
    "HowToAcknowledge": "optional",
    "Funding": "optional",
    "EthicsApprovals": "optional",
    "ReferencesAndLinks": "optional",
    "DatasetDOI": "optional",
    "GeneratedBy": "recommended",
    "SourceDatasets": "recommended",
}
"""``dataset_description.json`` (``HEDVersion`` only matters where HED tags are used, and
``SourceDatasets`` where the data derive from another dataset: neither applies here)."""

DATASET_TYPES = frozenset({"raw", "derivative", "study"})

PARTICIPANTS_COLUMNS: dict[str, str] = {
    "participant_id": "required",
    "species": "recommended",
    "age": "recommended",
    "sex": "recommended",
    "handedness": "recommended",
    "strain": "recommended",
    "strain_rrid": "recommended",
    "HED": "optional",
}
"""``participants.tsv`` (``strain`` and ``strain_rrid`` are for non-human species)."""

SCANS_COLUMNS: dict[str, str] = {"filename": "required", "acq_time": "optional", "HED": "optional"}
"""``sub-<label>[_ses-<label>]_scans.tsv``."""

LABEL_PATTERN = r"^[0-9a-zA-Z+]+$"
"""An entity label (``sub-<label>``, ``task-<label>``, ...)."""
