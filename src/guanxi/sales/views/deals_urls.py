"""Pages of opportunities, the board, forecast and quotas, pipelines settings, territories and the
playbook (SAL-2…SAL-5, SAL-11), under the "sales" namespace."""

from django.urls import path

from guanxi.sales.views import forecast, opportunities, pipelines, playbook, territories

urlpatterns = [
    path("opportunities/", opportunities.opportunity_list, name="opportunity_list"),
    path("opportunities/board/", opportunities.board, name="board"),
    path("opportunities/board/<int:pk>/", opportunities.board, name="board_pipeline"),
    path("opportunities/new/", opportunities.opportunity_create, name="opportunity_create"),
    path("opportunities/customer-options/", opportunities.customer_options, name="customer_options"),
    path("opportunities/contact-options/", opportunities.contact_options, name="contact_options"),
    path("opportunities/<int:pk>/", opportunities.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", opportunities.opportunity_update, name="opportunity_update"),
    path("opportunities/<int:pk>/delete/", opportunities.opportunity_delete, name="opportunity_delete"),
    path("opportunities/<int:pk>/move/", opportunities.opportunity_move, name="opportunity_move"),
    path("forecast/", forecast.forecast, name="forecast"),
    path("forecast/quotas/", forecast.quotas, name="quotas"),
    path("forecast/quotas/<int:pk>/delete/", forecast.quota_delete, name="quota_delete"),
    path("settings/pipelines/", pipelines.pipelines, name="pipelines"),
    path("settings/pipelines/<int:pk>/", pipelines.pipeline_edit, name="pipeline_edit"),
    path("settings/pipelines/<int:pk>/stages/", pipelines.stage_add, name="stage_add"),
    path("settings/stages/<int:pk>/", pipelines.stage_update, name="stage_update"),
    path("settings/stages/<int:pk>/move/", pipelines.stage_move, name="stage_move"),
    path("settings/stages/<int:pk>/delete/", pipelines.stage_delete, name="stage_delete"),
    path("territories/", territories.territory_tree, name="territories"),
    path("territories/new/", territories.territory_create, name="territory_create"),
    path("territories/realign/", territories.territory_realign, name="territory_realign"),
    path("territories/<int:pk>/", territories.territory_detail, name="territory_detail"),
    path("territories/<int:pk>/edit/", territories.territory_update, name="territory_update"),
    path("territories/<int:pk>/members/", territories.territory_member_add, name="territory_member_add"),
    path("territories/<int:pk>/members/<int:user_id>/remove/", territories.territory_member_remove,
         name="territory_member_remove"),
    path("playbook/", playbook.playbook, name="playbook"),
    path("playbook/entries/new/", playbook.playbook_entry_create, name="playbook_entry_create"),
    path("playbook/entries/<int:pk>/edit/", playbook.playbook_entry_update, name="playbook_entry_update"),
    path("playbook/entries/<int:pk>/delete/", playbook.playbook_entry_delete, name="playbook_entry_delete"),
    path("playbook/tips/", playbook.tips, name="tips"),
    path("playbook/tips/new/", playbook.tip_create, name="tip_create"),
    path("playbook/tips/<int:pk>/", playbook.tip_detail, name="tip_detail"),
    path("playbook/tips/<int:pk>/edit/", playbook.tip_update, name="tip_update"),
    path("playbook/tips/<int:pk>/delete/", playbook.tip_delete, name="tip_delete"),
    path("playbook/tips/<int:pk>/comments/", playbook.tip_comment_add, name="tip_comment_add"),
]
