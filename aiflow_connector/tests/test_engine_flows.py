# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Engine flows (spec part 1 §5.1, §5.2) built from real Odoo models and
delivered to the sandbox by the outbox: flow/create, flow/update,
flow/publish and form/sync."""

import base64

from lxml import etree

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.aiflow_connector.protocol import bpmn

from .common import USER_PATH, EngineDefinitionFixtures, OrgSyncCase

CREATE_PATH = "/aflow/api/flow/create"
UPDATE_PATH = "/aflow/api/flow/update"
PUBLISH_PATH = "/aflow/api/flow/publish"
FORM_PATH = "/aflow/api/form/sync"
BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"

GOOD_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d1"
             targetNamespace="http://example.com/bpmn">
  <process id="Purchase" isExecutable="true">
    <startEvent id="start"/>
    <userTask id="check" name="\xe5\xae\xa1\xe6\xa0\xb8"/>
    <endEvent id="end"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <sequenceFlow id="f2" sourceRef="check" targetRef="end"/>
  </process>
</definitions>
"""
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</definitions>
"""


@tagged("post_install", "-at_install")
class TestEngineFlows(EngineDefinitionFixtures, OrgSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_engine_flow()

    def test_generated_process_is_linear_bpmn_naming_the_step_people(self):
        xml = self.flow._aiflow_bpmn_xml()
        root = etree.fromstring(xml.encode())
        self.assertEqual(root.tag, BPMN_NS + "definitions")
        (process,) = root.findall(BPMN_NS + "process")
        self.assertEqual(process.get("id"), "PARTNER_APPROVAL")
        self.assertEqual(process.get("isExecutable"), "true")
        nodes = {
            element.get("id"): element
            for element in process
            if element.tag != BPMN_NS + "sequenceFlow"
        }
        flows = {
            f.get("sourceRef"): f.get("targetRef") for f in process.iter(BPMN_NS + "sequenceFlow")
        }
        (start,) = process.findall(BPMN_NS + "startEvent")
        path, node = [], start.get("id")
        while node in flows:
            node = flows[node]
            path.append(nodes[node])
        self.assertEqual(
            [(e.tag.split("}")[1], e.get("name")) for e in path],
            [("userTask", "部门经理审批"), ("userTask", "财务审批"), ("endEvent", None)],
        )
        self.assertEqual(
            bpmn.candidate_users(xml), [self.approver_employee.aiflow_code, "eng_loginonly"]
        )

    def test_uploaded_files_are_checked_and_bad_ones_refused(self):
        cases = [
            (b"this is not xml", "not well-formed XML at line 1"),
            (b"<a>\n<b>\n</a>", "not well-formed XML at line 3"),
            (b"<process/>", "not BPMN 2.0: its root element is process,"),
            (
                b"<definitions><process/></definitions>",
                "its root element is definitions, where BPMN 2.0 has "
                "{http://www.omg.org/spec/BPMN/20100524/MODEL}definitions",
            ),
            (b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>', "no process"),
            (
                b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
                b'<process id="p"><startEvent id="s"/></process></definitions>',
                "has no end event",
            ),
            (BOMB, "DOCTYPE"),
            (
                GOOD_BPMN.decode().replace('encoding="UTF-8"', 'encoding="GBK"').encode("gbk"),
                "must be encoded in UTF-8",
            ),
            (b"\x00\x01garbage\xff", "not well-formed XML at line 1"),
            (b"", None),  # clearing the file is allowed
        ]
        for data, message in cases:
            with self.subTest(data=data[:30]):
                values = {
                    "bpmn_source": "uploaded",
                    "bpmn_file": base64.b64encode(data),
                    "bpmn_filename": "process.bpmn",
                }
                if message is None:
                    self.flow.write(dict(values, bpmn_file=False))
                    continue
                with self.assertRaises(ValidationError) as caught, self.env.cr.savepoint():
                    self.flow.write(values)
                self.assertIn(message, str(caught.exception))
                if "UTF-8" not in message:
                    self.assertIn("process.bpmn", str(caught.exception))
        # an uploaded flow without a file cannot be sent
        self.flow.bpmn_source = "uploaded"
        with self.assertRaises(UserError):
            self.as_admin().action_aiflow_engine_create()
        self.flow.write({"bpmn_file": base64.b64encode(GOOD_BPMN), "bpmn_filename": "p.bpmn"})
        self.assertEqual(self.flow._aiflow_bpmn_xml(), GOOD_BPMN.decode())

    def test_an_uploaded_process_is_sent_after_the_people_it_names(self):
        code = self.approver_employee.aiflow_code
        xml = GOOD_BPMN.replace(
            b'name="\xe5\xae\xa1\xe6\xa0\xb8"/>',
            b'name="check"><potentialOwner><resourceAssignmentExpression><formalExpression>'
            + f"user({code})".encode()
            + b"</formalExpression></resourceAssignmentExpression></potentialOwner></userTask>",
        )
        self.assertIn(code.encode(), xml)
        self.flow.write(
            {
                "bpmn_source": "uploaded",
                "bpmn_file": base64.b64encode(xml),
                "bpmn_filename": "p.bpmn",
            }
        )
        self.never_synced()
        self.as_admin().action_aiflow_engine_create()
        self.deliver()
        self.assertIsNotNone(self.aiflow_user(self.approver_employee))
        self.assertIsNotNone(self.aiflow_dept(self.dept))
        definition = self.sandbox.state["flows"]["PARTNER_APPROVAL"]["versions"]["1"]["definition"]
        self.assertEqual(definition["bpmnXml"], xml.decode())
        paths = [call["path"] for call in self.calls()]
        self.assertLess(paths.index(USER_PATH), paths.index(CREATE_PATH))

    # ------------------------------------------------------------ aiflow

    def test_created_updated_and_published_in_aiflow(self):
        self.never_synced()
        self.as_admin().action_aiflow_engine_create()
        self.deliver()
        # the approver's employee went first (user sync), then the flow
        paths = [call["path"] for call in self.calls()]
        self.assertIn(USER_PATH, paths)
        self.assertLess(paths.index(USER_PATH), paths.index(CREATE_PATH))
        self.assertIsNotNone(self.aiflow_user(self.approver_employee))
        self.assertEqual((self.flow.state, self.flow.flow_version), ("registered", 1))
        self.assertEqual(self.flow.aiflow_sync_state, "done")
        stored = self.sandbox.state["flows"]["PARTNER_APPROVAL"]
        self.assertEqual((stored["type"], stored["latestVersion"]), ("engine", 1))
        definition = stored["versions"]["1"]["definition"]
        self.assertEqual(definition["flowName"], "客户审批")
        self.assertEqual(definition["formSchema"], self.flow._aiflow_form_schema())
        self.assertEqual(definition["bpmnXml"], self.flow._aiflow_bpmn_xml())
        form = self.sandbox.state["forms"]["PARTNER_APPROVAL"]
        self.assertEqual((form["status"], form["lastSyncType"]), ("active", "CREATE"))
        self.assertTrue(self.flow.aiflow_form_synced)

        # an update of the draft version keeps its number
        self.flow.step_ids[1].name = "财务总监审批"
        self.flow.flow_name = "客户审批（新）"
        self.as_admin().action_aiflow_engine_update()
        self.deliver()
        self.assertEqual(self.calls(UPDATE_PATH)[-1]["method"], "PUT")
        stored = self.sandbox.state["flows"]["PARTNER_APPROVAL"]
        self.assertEqual(stored["latestVersion"], 1)
        self.assertIn("财务总监审批", stored["versions"]["1"]["definition"]["bpmnXml"])
        self.assertEqual(stored["versions"]["1"]["definition"]["flowName"], "客户审批（新）")

        self.flow.update_desc = "首次发布"
        self.as_admin().action_aiflow_engine_publish()
        self.deliver()
        stored = self.sandbox.state["flows"]["PARTNER_APPROVAL"]
        self.assertEqual(stored["onlineVersion"], 1)
        self.assertEqual(stored["versions"]["1"]["status"], "online")
        self.assertEqual(stored["versions"]["1"]["updateDesc"], "首次发布")
        self.assertEqual((self.flow.state, self.flow.online_version), ("online", 1))

        # once online, an update makes version 2; publishing it retires 1
        self.as_admin().action_aiflow_engine_update()
        self.as_admin().action_aiflow_engine_publish()
        self.deliver()
        stored = self.sandbox.state["flows"]["PARTNER_APPROVAL"]
        self.assertEqual((stored["latestVersion"], stored["onlineVersion"]), (2, 2))
        self.assertEqual(stored["versions"]["1"]["status"], "offline")
        self.assertEqual((self.flow.flow_version, self.flow.online_version), (2, 2))
        self.assertEqual(self.calls(PUBLISH_PATH)[-1]["body"]["flowVersion"], 2)

    def test_form_sync_follows_the_form_the_archive_and_the_deletion(self):
        def form():
            return self.sandbox.state["forms"].get("PARTNER_APPROVAL")

        # a draft flow's form stays in Odoo
        self.flow.form_field_ids[0].sequence = 100
        self.deliver()
        self.assertEqual(self.calls(FORM_PATH), [])

        self.as_admin().action_aiflow_engine_create()
        self.deliver()
        self.assertEqual(form()["lastSyncType"], "CREATE")
        # a line removed and the order changed: one UPDATE with the new form
        self.flow.form_field_ids.filtered(lambda line: line.name == "comment").unlink()
        self.flow.form_field_ids.filtered(lambda line: line.name == "color").sequence = -1
        self.deliver()
        self.assertEqual(form()["lastSyncType"], "UPDATE")
        names = [c["name"] for c in form()["formSchema"]["components"]]
        self.assertEqual(names[0], "color")
        self.assertNotIn("comment", names)
        self.assertEqual(len(self.calls(FORM_PATH)), 2)
        # a field replaced by another
        line = self.flow.form_field_ids.filtered(lambda line: line.name == "partner_latitude")
        line.field_id = self.field("res.partner", "email")
        self.deliver()
        names = [c["name"] for c in form()["formSchema"]["components"]]
        self.assertIn("email", names)
        self.assertNotIn("partner_latitude", names)

        self.flow.active = False
        self.deliver()
        self.assertEqual((form()["status"], form()["lastSyncType"]), ("deleted", "DELETE"))
        self.assertFalse(self.flow.aiflow_form_synced)
        self.flow.active = True
        self.deliver()
        self.assertEqual((form()["status"], form()["lastSyncType"]), ("active", "CREATE"))

        flow_id = self.flow.id
        self.flow.unlink()
        self.deliver()
        self.assertEqual((form()["status"], form()["lastSyncType"]), ("deleted", "DELETE"))
        rows = self.Outbox.search([("res_model", "=", "aiflow.flow"), ("res_id", "=", flow_id)])
        self.assertEqual(rows[0].mode, "fixed")  # the newest: built when it was deleted
        self.assertEqual(rows[0].state, "done")
        self.assertEqual([c["method"] for c in self.calls(FORM_PATH)], ["POST"] * 6)

    def test_archive_and_back_before_sending_changes_nothing_in_aiflow(self):
        self.as_admin().action_aiflow_engine_create()
        self.deliver()
        sent = len(self.calls(FORM_PATH))
        self.flow.active = False
        self.flow.active = True
        self.deliver()
        # one row, built when sent: the form is still there, so an UPDATE
        self.assertEqual(len(self.calls(FORM_PATH)), sent + 1)
        self.assertEqual(self.calls(FORM_PATH)[-1]["body"]["syncType"], "UPDATE")
        # deleting a flow whose form aiflow never had sends nothing
        other = self.flow.copy(
            {"flow_code": "COPY_FLOW", "model_id": self.env["ir.model"]._get_id("res.country")}
        )
        other.unlink()
        self.deliver()
        self.assertNotIn("COPY_FLOW", self.sandbox.state["forms"])

    def test_a_flow_deleted_and_made_again_under_its_code_gets_its_form_back(self):
        self.as_admin().action_aiflow_engine_create()
        self.deliver()
        values = {
            "flow_code": "PARTNER_APPROVAL",
            "title": "客户审批（重建）",
            "mode": "engine",
            "model_id": self.flow.model_id.id,
            "step_ids": [(0, 0, {"name": "审批"})],
            "form_field_ids": [(0, 0, {"field_id": self.field("res.partner", "email").id})],
        }
        self.flow.unlink()
        again = self.env["aiflow.flow"].create(values)
        self.as_admin(again).action_aiflow_engine_create()
        self.deliver()  # the DELETE and the new CREATE in one run
        kinds = [call["body"]["syncType"] for call in self.calls(FORM_PATH)]
        self.assertEqual(kinds, ["CREATE", "DELETE", "CREATE"])
        form = self.sandbox.state["forms"]["PARTNER_APPROVAL"]
        self.assertEqual((form["status"], form["formName"]), ("active", "客户审批（重建）"))
        self.assertEqual([c["name"] for c in form["formSchema"]["components"]], ["email"])
        self.assertTrue(again.aiflow_form_synced)

    # ------------------------------------------------------------ modes and rights

    def test_engine_flows_need_no_task_center_fields_and_use_their_own_buttons(self):
        self.assertFalse(self.flow.group_id or self.flow.manager_user_id)
        with self.assertRaises(ValidationError) as caught, self.env.cr.savepoint():
            self.flow.mode = "task_center"
        self.assertIn("Group ID", str(caught.exception))
        with self.assertRaises(UserError):
            self.as_admin().action_aiflow_register()
        with self.assertRaises(UserError):
            self.as_admin().action_aiflow_go_online()
        # update and publish need a version aiflow gave
        with self.assertRaises(UserError):
            self.as_admin().action_aiflow_engine_update()
        with self.assertRaises(UserError):
            self.as_admin().action_aiflow_engine_publish()
        # nothing to send without steps (generated process) or form fields
        bare = self.env["aiflow.flow"].create(
            {
                "flow_code": "BARE",
                "title": "Bare",
                "mode": "engine",
                "model_id": self.env["ir.model"]._get_id("res.country"),
            }
        )
        with self.assertRaises(UserError) as caught:
            self.as_admin(bare).action_aiflow_engine_create()
        self.assertIn("no form field", str(caught.exception))
        bare.form_field_ids = [(0, 0, {"field_id": self.field("res.country", "name").id})]
        with self.assertRaises(UserError) as caught:
            self.as_admin(bare).action_aiflow_engine_create()
        self.assertIn("no step", str(caught.exception))
        self.commit_point()
        self.assertFalse(self.rows(bare))

    def test_only_administrators_send_engine_flows(self):
        for action in (
            "action_aiflow_engine_create",
            "action_aiflow_engine_update",
            "action_aiflow_engine_publish",
        ):
            with self.assertRaises(AccessError):
                getattr(self.flow.with_user(self.approver), action)()
        self.commit_point()
        self.assertFalse(self.rows(self.flow))
