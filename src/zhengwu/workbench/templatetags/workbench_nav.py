from django import template

from zhengwu.workbench.navigation import staff_nav_links

register = template.Library()


@register.inclusion_tag("includes/staff_nav_links.html", takes_context=True)
def staff_nav(context):
    return {"links": staff_nav_links(context["request"])}
