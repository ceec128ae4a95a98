#!/usr/bin/env python3
"""Drives Frontline's Open311 GeoReport v2 endpoint with a client library someone else wrote
(PyPI `georeport`), in both formats it speaks, and prints one JSON line of what it saw.

Usage: open311_client_check.py BASE_URL API_KEY   (BASE_URL ends in /open311/v2)

`georeport` reads (services, a service definition, request lists and single requests); it has no
call for filing, so the request is filed with `requests` exactly as the spec describes: a form
POST to requests.json.
"""
import json
import sys

import requests
from georeport import GeoReport


def main():
    base, key = sys.argv[1], sys.argv[2]
    as_json = GeoReport(base, api_key=key, output_format="json")
    as_xml = GeoReport(base, api_key=key, output_format="xml")
    services = as_json.get_service_list()
    services_xml = as_xml.get_service_list()
    definition = as_json.get_service_definition("road_light")
    filed = requests.post(
        f"{base}/requests.json",
        data={
            "api_key": key,
            "service_code": "road_light",
            "address_id": "330382006205",
            "description": "村口路灯不亮，晚上出行不便",
            "lat": "28.1",
            "long": "120.9",
        },
        timeout=30,
    )
    filed.raise_for_status()
    filed_id = filed.json()[0]["service_request_id"]
    one = as_json.get_service_request(filed_id)
    one_xml = as_xml.get_service_request(filed_id)
    listed = as_json.get_service_requests(status="open", service_code="road_light")
    print(json.dumps({
        "services_json": len(services),
        "services_xml": len(services_xml),
        "definition_code": definition["service_code"],
        "filed_id": filed_id,
        "filed_status_json": one["status"],
        "filed_status_xml": one_xml["status"],
        "expected_datetime": one["expected_datetime"],
        "found_in_list": any(r["service_request_id"] == filed_id for r in listed),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
