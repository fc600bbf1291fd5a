"""`inspect --sbom`: the bundle as a CycloneDX bill of materials, made with cyclonedx-python-lib (Python 3.9+).

One component per wheel (name, version, a pkg:pypi purl naming the wheel file, the SHA-256 `inspect --json` shows
and the targets it serves) and the bundle itself as the described component, which depends on them all. The serial
number and timestamp come from the bundle's hash and SOURCE_DATE_EPOCH: the same bundle gives the same SBOM.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Dict, List

from bundler import __version__
from bundler.wheels import BuildError


def sbom_json(meta: Dict, served: Dict[str, List[str]], bundle_sha256: str) -> str:
    """CycloneDX 1.6 JSON for a bundle's manifest; bundle_sha256 is the hash of the bundle file itself."""
    try:
        from cyclonedx.model import HashAlgorithm, HashType, Property
        from cyclonedx.model.bom import Bom, BomMetaData
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.model.tool import ToolRepository
        from cyclonedx.output.json import JsonV1Dot6
        from packageurl import PackageURL
    except ImportError:
        raise BuildError(
            "--sbom needs cyclonedx-python-lib (Python 3.9+): python -m pip install cyclonedx-python-lib"
        ) from None
    wheels = [
        Component(
            type=ComponentType.LIBRARY,
            name=w["name"],
            version=w["version"],
            bom_ref=w["file"],
            purl=PackageURL("pypi", None, w["name"], w["version"], {"file_name": w["file"]}),
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=w["sha256"])],
            properties=[Property(name="splice-bundle:targets", value=",".join(served[w["file"]]))],
        )
        for w in meta["wheels"]
    ]
    bundle = Component(
        type=ComponentType.APPLICATION,
        name=meta["name"],
        version=bundle_sha256[:16],
        bom_ref="bundle:" + meta["name"],
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=bundle_sha256)],
        properties=[
            Property(name="splice-bundle:payload-sha256", value=meta["sha256"]),
            Property(name="splice-bundle:targets", value="; ".join(t["name"] for t in meta.get("targets") or [])),
        ],
    )
    stamp = datetime.fromtimestamp(meta.get("source_date_epoch", 315532800), tz=timezone.utc)
    tools = ToolRepository(
        components=[Component(type=ComponentType.APPLICATION, name="splice-bundle", version=__version__)]
    )
    bom = Bom(
        components=wheels,
        metadata=BomMetaData(component=bundle, timestamp=stamp, tools=tools),
        serial_number=uuid.uuid5(uuid.NAMESPACE_URL, "splice-bundle:" + bundle_sha256),
    )
    bom.register_dependency(bundle, wheels)
    return JsonV1Dot6(bom).output_as_string(indent=1)
